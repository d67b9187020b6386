// SPDX-License-Identifier: MIT
//
// parse_check re-checks tests/data/template/parse.txt against Go's real
// text/template parser, so the table cannot drift from Go: an "ok" row must
// parse in Go; an "error" row must fail in Go too, except rows whose
// message says "not supported by vaultlet", which Go accepts (vaultlet
// refuses those constructs on purpose). The function map holds every name
// consul-template defines, as Vault Agent's parser sees them. Prints TAP.
//
// usage: go run parse_check.go DATA_DIR
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

var consulTemplateFuncs = strings.Fields(`datacenters exportedServices importedServices
file key keyExists keyOrDefault ls safeLs node nodes partitions peerings secret secrets
service connect services tree safeTree caRoots caLeaf pkiCert nomadServices nomadService
nomadVarList nomadVarListSafe nomadVar nomadVarExists scratch base64Decode base64Encode
base64URLDecode base64URLEncode byKey byPort byTag contains containsAll containsAny
containsNone containsNotAll env mustEnv envOrDefault executeTemplate explode explodeMap
mergeMap mergeMapWithOverride in indent loop join trim trimPrefix trimSuffix trimSpace
parseBool parseFloat parseInt parseJSON parseUint parseYAML plugin regexReplaceAll
regexMatch replaceAll sha256Hex md5sum hmacSHA256Hex timestamp toLower toJSON
toJSONPretty toUnescapedJSON toUnescapedJSONPretty toTitle toTOML toUpper toYAML split
splitToMap byMeta sockaddr writeToFile add subtract multiply divide modulo minimum
maximum spew_dump spew_printf spew_sdump spew_sprintf sprig_quote sprig_squote sprig_list sprig_keys sprig_dict sprig_mustFirst sprig_b32dec sprig_toRawJson sprig_add sprig_round sprig_hello sprig_typeOf sprig_nindent sprig_camelcase
sprig_default sprig_upper`)

func main() {
	path := filepath.Join(os.Args[1], "template", "parse.txt")
	f, err := os.Open(path)
	if err != nil {
		fmt.Println("Bail out!", err)
		os.Exit(1)
	}
	funcs := template.FuncMap{}
	for _, name := range consulTemplateFuncs {
		funcs[name] = func(...interface{}) (interface{}, error) { return nil, nil }
	}
	type row struct {
		where string
		tok   []string
	}
	var rows []row
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		tok, err := tokens(line)
		if err != nil {
			fmt.Println("Bail out!", path, n, err)
			os.Exit(1)
		}
		rows = append(rows, row{fmt.Sprintf("parse.txt:%d", n), tok})
	}
	fmt.Printf("1..%d\n", len(rows))
	failed := 0
	for i, r := range rows {
		ok := r.tok[0] == "ok"
		delimAt := 4
		if ok {
			delimAt = 2
		}
		left, right := "", ""
		if len(r.tok) > delimAt+1 {
			left, right = r.tok[delimAt], r.tok[delimAt+1]
		}
		_, err := template.New("").Delims(left, right).Funcs(funcs).Parse(r.tok[1])
		wantGoOK := ok || strings.Contains(r.tok[3], "not supported by vaultlet")
		if (err == nil) == wantGoOK {
			fmt.Printf("ok %d - %s %q\n", i+1, r.where, r.tok[1])
		} else {
			failed++
			fmt.Printf("not ok %d - %s %q: Go says %v\n", i+1, r.where, r.tok[1], err)
		}
	}
	if failed > 0 {
		os.Exit(1)
	}
}
