// SPDX-License-Identifier: MIT
//
// goparse_check re-checks the expectation tables that pin vaultlet's Go
// compatible parsers against the Go standard library itself, so a table row
// cannot drift from what Go really does. It reads the same files as the C
// unit tests and prints TAP, one line per row.
//
// usage: go run goparse_check.go DATA_DIR
package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type row struct {
	where string
	tok   []string
}

func load(dir, name string) []row {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		fmt.Println("Bail out!", err)
		os.Exit(1)
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if t := strings.TrimSpace(l); t == "" || t[0] == '#' {
			continue
		}
		tok, err := tokens(l)
		if err != nil {
			fmt.Printf("Bail out! %s:%d: %v\n", name, n, err)
			os.Exit(1)
		}
		rows = append(rows, row{fmt.Sprintf("%s:%d", name, n), tok})
	}
	return rows
}

func main() {
	dir := os.Args[1]
	type check struct {
		file string
		fn   func([]string) string // "" when Go agrees, else what Go says
	}
	checks := []check{
		{"goparse/bool.txt", func(t []string) string {
			want := t[1]
			got := "false"
			if t[0] != "" {
				b, err := strconv.ParseBool(t[0])
				got = strconv.FormatBool(b)
				if err != nil {
					got = "error"
				}
			}
			return diff(got, want)
		}},
		{"goparse/int64.txt", func(t []string) string {
			got := "0"
			if t[0] != "" {
				v, err := strconv.ParseInt(t[0], 10, 64)
				got = strconv.FormatInt(v, 10)
				if err != nil {
					got = "error"
				}
			}
			return diff(got, t[1])
		}},
		{"goparse/uint64.txt", func(t []string) string {
			v, err := strconv.ParseUint(t[0], 10, 64)
			got := strconv.FormatUint(v, 10)
			if err != nil {
				got = "error"
			}
			return diff(got, t[1])
		}},
		{"goparse/duration.txt", func(t []string) string {
			d, err := time.ParseDuration(t[0])
			if err != nil {
				return diff("error", t[1])
			}
			if t[1] == "error" {
				return diff(fmt.Sprint(int64(d)), "error")
			}
			return diff(fmt.Sprintf("%d %s", int64(d), d.String()), t[1]+" "+t[2])
		}},
		{"b64/decode-go.txt", func(t []string) string {
			enc := base64.StdEncoding
			if t[1] == "url" {
				enc = base64.URLEncoding
			}
			out, err := enc.DecodeString(t[0])
			if err != nil {
				got := fmt.Sprintf("error %d", int64(err.(base64.CorruptInputError)))
				return diff(got, strings.Join(t[2:], " "))
			}
			return diff(strconv.Quote(string(out)), strconv.Quote(t[2]))
		}},
	}
	var all []string
	for _, c := range checks {
		for _, r := range load(dir, c.file) {
			if d := c.fn(r.tok); d != "" {
				all = append(all, fmt.Sprintf("not ok %%d - %s: %s", r.where, d))
			} else {
				all = append(all, fmt.Sprintf("ok %%d - %s", r.where))
			}
		}
	}
	fmt.Printf("1..%d\n", len(all))
	failed := false
	for i, l := range all {
		fmt.Printf(l+"\n", i+1)
		failed = failed || strings.HasPrefix(l, "not")
	}
	if failed {
		os.Exit(1)
	}
}

func diff(got, want string) string {
	if got == want {
		return ""
	}
	return fmt.Sprintf("Go says %q, table says %q", got, want)
}
