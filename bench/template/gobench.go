// SPDX-License-Identifier: MIT
//
// The same measurement with Go's text/template itself (what Vault Agent
// does per render: consul-template parses the template on every Execute),
// for comparison with bench.c. Run by bench/template/run.sh.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"
)

const tv01 = "#!/bin/sh\n{{- with secret \"secret/data/litellm/secrets\" }}\n" +
	"export PROXY_MASTER_KEY=\"{{ .Data.data.master_key }}\"\n" +
	"export OPENROUTER_API_KEY=\"{{ .Data.data.openrouter_api_key }}\"\n" +
	"export DATABASE_URL=\"postgresql://llmproxy:{{ .Data.data.db_password }}" +
	"@host.docker.internal:5432/litellm\"\n{{- end }}\n"

type secret struct {
	RequestID, LeaseID string
	LeaseDuration      int
	Renewable          bool
	Data               map[string]interface{}
	Warnings           []string
}

func main() {
	var data map[string]interface{}
	dec := json.NewDecoder(strings.NewReader(`{"data":{"db_password":"pw","master_key":"sk-master","openrouter_api_key":"sk-or-v1-abc"},"metadata":{"created_time":"2024-05-01T10:00:00.123456789Z","custom_metadata":null,"deletion_time":"","destroyed":false,"version":3}}`))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		panic(err)
	}
	s := &secret{RequestID: "x", Data: data}
	funcs := template.FuncMap{"secret": func(p ...string) (interface{}, error) { return s, nil }}
	const runs, iters = 15, 20000
	var render, both []float64
	t := template.Must(template.New("").Funcs(funcs).Parse(tv01))
	var b bytes.Buffer
	for r := 0; r < runs; r++ {
		t0 := time.Now()
		for i := 0; i < iters; i++ {
			b.Reset()
			if err := t.Execute(&b, nil); err != nil {
				panic(err)
			}
		}
		render = append(render, float64(time.Since(t0).Nanoseconds())/iters)
		t0 = time.Now()
		for i := 0; i < iters; i++ {
			b.Reset()
			t2 := template.Must(template.New("").Funcs(funcs).Parse(tv01))
			if err := t2.Execute(&b, nil); err != nil {
				panic(err)
			}
		}
		both = append(both, float64(time.Since(t0).Nanoseconds())/iters)
	}
	sort.Float64s(render)
	sort.Float64s(both)
	fmt.Printf("go render only   median %7.0f ns\ngo parse+render  median %7.0f ns\n",
		render[runs/2], both[runs/2])
}
