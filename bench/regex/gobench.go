// SPDX-License-Identifier: MIT
//
// The same cases as bench.c with Go's regexp.ReplaceAllString, for comparison.
package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

func main() {
	cases := []struct {
		name, pattern, repl string
		fill, last          string
	}{
		{"(a|aa)*b, no b", "(a|aa)*b", "x", "a", "a"},
		{"(a+)+$ then !", "(a+)+$", "x", "a", "!"},
		{"(x+x+)+y", "(x+x+)+y", "z", "x", "x"},
		{"(a*)*b with $1", "(a*)*b", "<$1>", "a", "c"},
		{"a{0,30}a{30} (wide program)", "a{0,30}a{30}", "-", "a", "b"},
		{"every byte matches: .", ".", "[$0]", "a", "a"},
		{".*b|a (quadratic)", ".*b|a", "x", "a", "a"},
	}
	fmt.Printf("# Go %-25s %9s %10s %8s\n", "pattern", "bytes", "median ms", "ns/byte")
	for _, c := range cases {
		re := regexp.MustCompile(c.pattern)
		for _, n := range []int{64 << 10, 256 << 10, 1 << 20} {
			if strings.Contains(c.name, "quadratic") && n > 64<<10 {
				break // minutes
			}
			s := strings.Repeat(c.fill, n-1) + c.last
			var t []float64
			for run := 0; run < 5; run++ {
				t0 := time.Now()
				_ = re.ReplaceAllString(s, c.repl)
				t = append(t, float64(time.Since(t0).Microseconds())/1000)
			}
			sort.Float64s(t)
			fmt.Printf("# Go %-25s %9d %10.1f %8.1f\n", c.name, n, t[2], t[2]*1e6/float64(n))
		}
	}
}
