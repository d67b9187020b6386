// SPDX-License-Identifier: MIT
//
// tables_check re-checks tests/data/webhook/gojson.txt (the path and JSON
// encoding rows the webhook's gopath and jw modules are tested against)
// with the installed Go, so a row cannot drift from what Go really does.
// Rows marked go122 describe Go >= 1.22 and are skipped on older Go.
// Prints TAP, one line per row.
//
// usage: go run tables_check.go DATA_DIR
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

func goBefore122() bool {
	v := strings.TrimPrefix(runtime.Version(), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	minor, err := strconv.Atoi(parts[1])
	return err == nil && parts[0] == "1" && minor < 22
}

func main() {
	f, err := os.Open(filepath.Join(os.Args[1], "webhook", "gojson.txt"))
	if err != nil {
		fmt.Println("Bail out!", err)
		os.Exit(1)
	}
	defer f.Close()
	var lines []string
	var where []int
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if t := strings.TrimSpace(sc.Text()); t != "" && t[0] != '#' {
			lines = append(lines, sc.Text())
			where = append(where, n)
		}
	}
	fmt.Printf("1..%d\n", len(lines))
	failed := false
	for i, l := range lines {
		tok, err := tokens(l)
		if err != nil || len(tok) < 3 {
			fmt.Printf("not ok %d - line %d: cannot parse\n", i+1, where[i])
			failed = true
			continue
		}
		var got, want string
		skip := ""
		switch tok[0] {
		case "clean":
			got, want = path.Clean(tok[1]), tok[2]
		case "join":
			got, want = path.Join(tok[1], tok[2]), tok[3]
		case "float":
			x, perr := strconv.ParseFloat(tok[1], 64)
			if perr != nil {
				got = perr.Error()
			} else {
				b, _ := json.Marshal(x)
				got = string(b)
			}
			want = tok[2]
		case "escape":
			b, _ := json.Marshal(tok[1])
			got, want = string(b[1:len(b)-1]), tok[2]
			if len(tok) > 3 && tok[3] == "go122" && goBefore122() {
				skip = " # SKIP " + runtime.Version() + " predates the go1.22 encoder"
			}
		default:
			got, want = "unknown row kind "+tok[0], ""
		}
		if skip != "" || got == want {
			fmt.Printf("ok %d - line %d %s %q%s\n", i+1, where[i], tok[0], tok[1], skip)
		} else {
			fmt.Printf("not ok %d - line %d %s %q: Go gives %q, the table says %q\n", i+1, where[i], tok[0], tok[1], got, want)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
