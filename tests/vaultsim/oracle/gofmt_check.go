// SPDX-License-Identifier: MIT
//
// gofmt_check: the reference answers for the Vault simulator's Go-format
// code. Reads one JSON case per line on stdin and writes one JSON answer
// per line: {"out": "...", "err": "..."}. Cases:
//
//	{"kind":"kvnum","v":"<JSON number literal>"}  -> what a KV v2 read returns
//	    (json.Unmarshal into interface{} = float64, then json.Marshal)
//	{"kind":"string","b64":"<raw bytes>"}         -> json.Marshal(string)
//	{"kind":"duration","ns":N}                    -> time.Duration(N).String()
//	{"kind":"rfc3339","sec":S,"nsec":N}           -> time.Unix(S,N).UTC() RFC3339Nano
//	{"kind":"parseduration","v":"..."}            -> time.ParseDuration
//	{"kind":"decode","b64":"<raw JSON>"}          -> Decoder(UseNumber).Decode into
//	    map[string]interface{} then Encoder.Encode (trailing data ignored)
//
// Standard library only (GO111MODULE=off).
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

type testCase struct {
	Kind string `json:"kind"`
	V    string `json:"v"`
	B64  string `json:"b64"`
	Ns   int64  `json:"ns"`
	Sec  int64  `json:"sec"`
	Nsec int64  `json:"nsec"`
}

type answer struct {
	Out string `json:"out"`
	Err string `json:"err"`
}

func run(c testCase) answer {
	switch c.Kind {
	case "kvnum":
		var v interface{}
		if err := json.Unmarshal([]byte(c.V), &v); err != nil {
			return answer{Err: err.Error()}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return answer{Err: err.Error()}
		}
		return answer{Out: string(b)}
	case "string":
		raw, err := base64.StdEncoding.DecodeString(c.B64)
		if err != nil {
			return answer{Err: err.Error()}
		}
		b, err := json.Marshal(string(raw))
		if err != nil {
			return answer{Err: err.Error()}
		}
		return answer{Out: string(b)}
	case "duration":
		return answer{Out: time.Duration(c.Ns).String()}
	case "rfc3339":
		return answer{Out: time.Unix(c.Sec, c.Nsec).UTC().Format(time.RFC3339Nano)}
	case "parseduration":
		d, err := time.ParseDuration(c.V)
		if err != nil {
			return answer{Err: err.Error()}
		}
		return answer{Out: fmt.Sprintf("%d", int64(d))}
	case "decode":
		raw, err := base64.StdEncoding.DecodeString(c.B64)
		if err != nil {
			return answer{Err: err.Error()}
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]interface{}
		if err := dec.Decode(&m); err != nil {
			return answer{Err: "decode"}
		}
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(m); err != nil {
			return answer{Err: err.Error()}
		}
		return answer{Out: buf.String()}
	}
	return answer{Err: "unknown kind " + c.Kind}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var c testCase
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, "bad case:", err)
			os.Exit(2)
		}
		if err := enc.Encode(run(c)); err != nil {
			os.Exit(1)
		}
	}
}
