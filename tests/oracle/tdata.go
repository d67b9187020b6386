// SPDX-License-Identifier: MIT
//
// The Go side of tests/lib/tdata: splitting a data-file line into tokens
// (bare words or Go-quoted strings). run-go-check.sh compiles it with every
// check program, so each program can call tokens() without its own copy.
package main

import (
	"fmt"
	"strconv"
	"strings"
)

// tokens splits a tdata line: bare words or Go-style quoted strings.
func tokens(line string) ([]string, error) {
	var out []string
	for {
		line = strings.TrimLeft(line, " \t")
		if line == "" {
			return out, nil
		}
		if line[0] == '"' {
			end := 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				return nil, fmt.Errorf("unterminated string")
			}
			s, err := strconv.Unquote(line[:end+1])
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			line = line[end+1:]
			continue
		}
		n := strings.IndexAny(line, " \t")
		if n < 0 {
			n = len(line)
		}
		out = append(out, line[:n])
		line = line[n:]
	}
}
