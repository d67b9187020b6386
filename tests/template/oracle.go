// SPDX-License-Identifier: MIT
//
// oracle renders templates with Go's real text/template and the
// consul-template helper functions vaultlet implements, so vaultlet's output
// can be compared with Go's byte for byte. The helpers are the one-liners of
// consul-template's template/funcs.go over the Go standard library (plus
// gopkg.in/yaml.v2 and golang.org/x/text/cases, as consul-template uses);
// `secret` builds consul-template's *dependency.Secret from a Vault read
// response decoded with UseNumber, as the Vault API client does.
//
// Input (stdin): JSON lines, one case each:
//
//	{"id":"...","template":"...","secrets":{"path":"<response JSON>"},
//	 "env":{"K":"V"},"error_on_missing_key":false,"left":"","right":"",
//	 "shellquote":false}
//
// Output (stdout): one JSON line per case, in order:
//
//	{"id":"...","ok":true,"out":"<base64>"}  or
//	{"id":"...","ok":false,"phase":"parse"|"exec","err":"..."}
//
// Run offline: GO111MODULE=off, packages from Debian (golang-gopkg-yaml.v2-dev,
// golang-golang-x-text-dev) under /usr/share/gocode (see run-oracle.sh).
package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"dependency"
	cttemplate "template"

	"github.com/BurntSushi/toml"
	"github.com/davecgh/go-spew/spew"
	"github.com/imdario/mergo"

	sprig "github.com/Masterminds/sprig"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	yaml "gopkg.in/yaml.v2"
)

// apiSecret mirrors the fields of the Vault API client's Secret we need.
type apiSecret struct {
	RequestID     string                 `json:"request_id"`
	LeaseID       string                 `json:"lease_id"`
	LeaseDuration int                    `json:"lease_duration"`
	Renewable     bool                   `json:"renewable"`
	Data          map[string]interface{} `json:"data"`
	Warnings      []string               `json:"warnings"`
}

func toSecret(raw string) (*dependency.Secret, error) {
	var s apiSecret
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	var ours dependency.Secret
	if s.RequestID != "" {
		ours.RequestID = s.RequestID
	}
	if s.LeaseID != "" {
		ours.LeaseID = s.LeaseID
	}
	if s.LeaseDuration != 0 {
		ours.LeaseDuration = s.LeaseDuration
	}
	if s.Renewable {
		ours.Renewable = s.Renewable
	}
	if len(s.Data) != 0 {
		ours.Data = s.Data
	}
	if len(s.Warnings) != 0 {
		ours.Warnings = s.Warnings
	}
	return &ours, nil
}

type input struct {
	ID                string            `json:"id"`
	Template          string            `json:"template"`
	Secrets           map[string]string `json:"secrets"`
	Env               map[string]string `json:"env"`
	ErrorOnMissingKey bool              `json:"error_on_missing_key"`
	Left              string            `json:"left"`
	Right             string            `json:"right"`
	ShellQuote        bool              `json:"shellquote"`
	NowSec            int64             `json:"now_sec"`
	NowNsec           int64             `json:"now_nsec"`
}

type output struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Out   string `json:"out,omitempty"`
	Phase string `json:"phase,omitempty"`
	Err   string `json:"err,omitempty"`
}

// writeKey is consul-template's secretFunc argument handling (k=v pairs,
// trimmed, later duplicates win, empty arguments skipped) spelled as
// vaultlet's cache key: path, 0x1f, the fields as a JSON object.
func writeKey(path string, rest []string) (string, error) {
	data := map[string]string{}
	for _, str := range rest {
		if len(str) == 0 {
			continue
		}
		parts := strings.SplitN(str, "=", 2)
		if len(parts) != 2 {
			return "", fmt.Errorf("not k=v pair %q", str)
		}
		data[strings.TrimSpace(parts[0])] = strings.TrimSpace(parts[1])
	}
	p := strings.Trim(strings.TrimSpace(path), "/")
	if p == "" {
		return "", fmt.Errorf("vault.write: invalid format: %q", p)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return "", err
	}
	return p + "\x1f" + strings.TrimSuffix(b.String(), "\n"), nil
}

func funcs(in *input) template.FuncMap {
	env := in.Env
	m := template.FuncMap{
		"secret": func(s ...string) (interface{}, error) {
			if len(s) == 0 {
				return nil, nil
			}
			if len(s) > 1 {
				// the write form: looked up under vaultlet's key, the path
				// and the fields as JSON (sorted keys, string values)
				key, err := writeKey(s[0], s[1:])
				if err != nil {
					return nil, err
				}
				raw, ok := in.Secrets[key]
				if !ok {
					return nil, nil
				}
				return toSecret(raw)
			}
			// dependency.NewVaultReadQuery refuses an empty path
			if p := strings.Trim(strings.TrimSpace(s[0]), "/"); p == "" {
				return nil, fmt.Errorf("vault.read: invalid format: %q", p)
			}
			raw, ok := in.Secrets[s[0]]
			if !ok {
				return nil, nil
			}
			return toSecret(raw)
		},
		"secrets": func(s string) ([]string, error) {
			var result []string
			if len(s) == 0 {
				return result, nil
			}
			p := strings.Trim(strings.TrimSpace(s), "/")
			if p == "" {
				return nil, fmt.Errorf("vault.list: invalid format: %q", p)
			}
			raw, ok := in.Secrets[p+"\x1e"]
			if !ok {
				return result, nil
			}
			if err := json.Unmarshal([]byte(raw), &result); err != nil {
				return nil, err
			}
			sort.Strings(result)
			return result, nil
		},
		"base64Decode": func(s string) (string, error) {
			v, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return "", fmt.Errorf("base64Decode: %w", err)
			}
			return string(v), nil
		},
		"base64Encode": func(s string) (string, error) {
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		},
		"base64URLDecode": func(s string) (string, error) {
			v, err := base64.URLEncoding.DecodeString(s)
			if err != nil {
				return "", fmt.Errorf("base64URLDecode: %w", err)
			}
			return string(v), nil
		},
		"base64URLEncode": func(s string) (string, error) {
			return base64.URLEncoding.EncodeToString([]byte(s)), nil
		},
		"contains": func(v, l interface{}) (bool, error) { return in_(l, v) },
		"env": func(s string) (string, error) {
			if v, ok := env[s]; ok {
				return v, nil
			}
			return os.Getenv(s), nil
		},
		"mustEnv": func(s string) (string, error) {
			val := env[s]
			if val == "" {
				val = os.Getenv(s)
			}
			if val == "" {
				return "", fmt.Errorf("required environment variable %s is empty", s)
			}
			return val, nil
		},
		"envOrDefault": func(s, def string) (string, error) {
			if v, ok := env[s]; ok {
				return v, nil
			}
			if v, ok := os.LookupEnv(s); ok {
				return v, nil
			}
			return def, nil
		},
		"indent": func(spaces int, s string) (string, error) {
			if spaces < 0 {
				return "", fmt.Errorf("indent value must be a positive integer")
			}
			var output, prefix []byte
			var sp bool
			var size int
			prefix = []byte(strings.Repeat(" ", spaces))
			sp = true
			for _, c := range []byte(s) {
				if sp && c != '\n' {
					output = append(output, prefix...)
					size += spaces
				}
				output = append(output, c)
				sp = c == '\n'
				size++
			}
			return string(output[:size]), nil
		},
		"join":       func(sep string, a []string) (string, error) { return strings.Join(a, sep), nil },
		"trim":       func(cutset, s string) (string, error) { return strings.Trim(s, cutset), nil },
		"trimPrefix": func(p, s string) (string, error) { return strings.TrimPrefix(s, p), nil },
		"trimSuffix": func(x, s string) (string, error) { return strings.TrimSuffix(s, x), nil },
		"trimSpace":  func(s string) (string, error) { return strings.TrimSpace(s), nil },
		"parseJSON": func(s string) (interface{}, error) {
			if s == "" {
				return map[string]interface{}{}, nil
			}
			var data interface{}
			if err := json.Unmarshal([]byte(s), &data); err != nil {
				return nil, err
			}
			return data, nil
		},
		"replaceAll": func(f, t, s string) (string, error) { return strings.ReplaceAll(s, f, t), nil },
		"sha256Hex": func(item string) (string, error) {
			h := sha256.New()
			h.Write([]byte(item))
			return hex.EncodeToString(h.Sum(nil)), nil
		},
		"split": func(sep, s string) ([]string, error) {
			s = strings.TrimSpace(s)
			if s == "" {
				return []string{}, nil
			}
			return strings.Split(s, sep), nil
		},
		"toLower": func(s string) (string, error) { return strings.ToLower(s), nil },
		"toUpper": func(s string) (string, error) { return strings.ToUpper(s), nil },
		"toTitle": func(s string) (string, error) {
			return cases.Title(language.Und, cases.NoLower).String(s), nil
		},
		"toJSON": func(i interface{}) (string, error) {
			result, err := json.Marshal(i)
			if err != nil {
				return "", fmt.Errorf("toJSON: %w", err)
			}
			return string(bytes.TrimSpace(result)), err
		},
		"toJSONPretty": func(m interface{}) (string, error) {
			result, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				return "", fmt.Errorf("toJSONPretty: %w", err)
			}
			return string(bytes.TrimSpace(result)), err
		},
		"toUnescapedJSON": func(i interface{}) (string, error) {
			buf := &bytes.Buffer{}
			encoder := json.NewEncoder(buf)
			encoder.SetEscapeHTML(false)
			if err := encoder.Encode(i); err != nil {
				return "", fmt.Errorf("toUnescapedJSON: %w", err)
			}
			return strings.TrimRight(buf.String(), "\r\n"), nil
		},
		"toUnescapedJSONPretty": func(m interface{}) (string, error) {
			buf := &bytes.Buffer{}
			encoder := json.NewEncoder(buf)
			encoder.SetEscapeHTML(false)
			encoder.SetIndent("", "  ")
			if err := encoder.Encode(m); err != nil {
				return "", fmt.Errorf("toUnescapedJSONPretty: %w", err)
			}
			return strings.TrimRight(buf.String(), "\r\n"), nil
		},
		"toYAML": func(m interface{}) (string, error) {
			result, err := yaml.Marshal(m)
			if err != nil {
				return "", fmt.Errorf("toYAML: %w", err)
			}
			return string(bytes.TrimSpace(result)), nil
		},
	}
	for k, v := range moreFuncs() {
		m[k] = v
	}
	for k, v := range mutableFuncs() {
		m[k] = v
	}
	// consul-template registers sprig's hermetic text/template map with a
	// "sprig_" prefix (template/template.go, init); the oracle registers the
	// same functions from the real library, for the names vaultlet
	// implements (a name vaultlet refuses is a parse error on both sides).
	sprigMap := sprig.HermeticTxtFuncMap()
	for _, k := range sprigImplemented {
		f, ok := sprigMap[k]
		if !ok {
			panic("sprig has no function " + k)
		}
		m["sprig_"+k] = f
	}
	// sprig 3.3.0 (consul-template's pin) adds sha512sum, which Debian's
	// 3.2.3 lacks: its one line, sha512 in hex, written out here.
	m["sprig_sha512sum"] = func(s string) string {
		h := sha512.Sum512([]byte(s))
		return hex.EncodeToString(h[:])
	}
	m["timestamp"] = func(s ...string) (string, error) {
		// consul-template's timestamp over a pinned clock, in UTC (the
		// stock Vault Agent image's zone).
		now := time.Now().UTC()
		if in.NowSec != 0 {
			now = time.Unix(in.NowSec, in.NowNsec).UTC()
		}
		switch len(s) {
		case 0:
			return now.Format(time.RFC3339), nil
		case 1:
			if s[0] == "unix" {
				return strconv.FormatInt(now.Unix(), 10), nil
			}
			return now.Format(s[0]), nil
		}
		return "", fmt.Errorf("timestamp: wrong number of arguments, expected 0 or 1, but got %d", len(s))
	}
	if in.ShellQuote {
		m["shellQuote"] = func(s string) (string, error) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
		}
	}
	return m
}

// moreFuncs: consul-template's helpers added with the builtins table,
// written from their documented behaviour (template/funcs.go).
func moreFuncs() template.FuncMap {
	wrap := func(name string, err error) error { return fmt.Errorf("%s: %w", name, err) }
	return template.FuncMap{
		"parseBool": func(s string) (bool, error) {
			if s == "" {
				return false, nil
			}
			r, err := strconv.ParseBool(s)
			if err != nil {
				return false, wrap("parseBool", err)
			}
			return r, nil
		},
		"parseFloat": func(s string) (float64, error) {
			if s == "" {
				return 0, nil
			}
			r, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return 0, wrap("parseFloat", err)
			}
			return r, nil
		},
		"parseInt": func(s string) (int64, error) {
			if s == "" {
				return 0, nil
			}
			r, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return 0, wrap("parseInt", err)
			}
			return r, nil
		},
		"parseUint": func(s string) (uint64, error) {
			if s == "" {
				return 0, nil
			}
			r, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return 0, wrap("parseUint", err)
			}
			return r, nil
		},
		"in":             in_,
		"containsAll":    containsSome(true, true),
		"containsAny":    containsSome(false, false),
		"containsNone":   containsSome(true, false),
		"containsNotAll": containsSome(false, true),
		"add":            arith("add", '+'),
		"subtract":       arith("subtract", '-'),
		"multiply":       arith("multiply", '*'),
		"divide":         arith("divide", '/'),
		"modulo":         arith("modulo", '%'),
		"minimum":        arith("minimum", '<'),
		"maximum":        arith("maximum", '>'),
		"regexMatch": func(re, s string) (bool, error) {
			compiled, err := regexp.Compile(re)
			if err != nil {
				return false, err
			}
			return compiled.MatchString(s), nil
		},
		"regexReplaceAll": func(re, pl, s string) (string, error) {
			compiled, err := regexp.Compile(re)
			if err != nil {
				return "", err
			}
			return compiled.ReplaceAllString(s, pl), nil
		},
		"splitToMap": func(sep1, sep2, s string) (map[string]string, error) {
			s = strings.TrimSpace(s)
			if s == "" {
				return map[string]string{}, nil
			}
			m := map[string]string{}
			for _, item := range strings.Split(s, sep1) {
				k, v, ok := strings.Cut(item, sep2)
				if !ok {
					continue
				}
				m[k] = v
			}
			return m, nil
		},
		"explodeMap": func(mapIn map[string]interface{}) (map[string]interface{}, error) {
			mapOut := make(map[string]interface{})
			var keys []string
			for k := range mapIn {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for i := range keys {
				if err := explodeHelper(mapOut, keys[i], mapIn[keys[i]], keys[i]); err != nil {
					return nil, fmt.Errorf("explodeMap: %w", err)
				}
			}
			return mapOut, nil
		},
		"md5sum": func(s string) (string, error) {
			return fmt.Sprintf("%x", md5.Sum([]byte(s))), nil
		},
		"loop": oracleLoop,
		"hmacSHA256Hex": func(message, key string) (string, error) {
			h := hmac.New(sha256.New, []byte(key))
			h.Write([]byte(message))
			return hex.EncodeToString(h.Sum(nil)), nil
		},
	}
}

func explodeHelper(m map[string]interface{}, k string, v interface{}, p string) error {
	if strings.Contains(k, "/") {
		parts := strings.Split(k, "/")
		top := parts[0]
		key := strings.Join(parts[1:], "/")
		if _, ok := m[top]; !ok {
			m[top] = make(map[string]interface{})
		}
		nest, ok := m[top].(map[string]interface{})
		if !ok {
			return fmt.Errorf("not a map: %q: %q already has value %q", p, top, m[top])
		}
		return explodeHelper(nest, key, v, k)
	}
	if k != "" {
		m[k] = v
	}
	return nil
}

func containsSome(retTrue, invert bool) func([]interface{}, interface{}) (bool, error) {
	return func(v []interface{}, l interface{}) (bool, error) {
		for i := 0; i < len(v); i++ {
			if ok, _ := in_(l, v[i]); ok != invert {
				return !retTrue, nil
			}
		}
		return retTrue, nil
	}
}

// arith is consul-template's add/subtract/multiply/divide/modulo/minimum/
// maximum: a switch on the reflect kinds of a, then b (the arguments are
// (b, a)), with Go's conversions.
func arith(name string, op rune) func(b, a interface{}) (interface{}, error) {
	kind := func(v reflect.Value) int {
		switch v.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return 1
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return 2
		case reflect.Float32, reflect.Float64:
			if op == '%' {
				return 0
			}
			return 3
		}
		return 0
	}
	return func(b, a interface{}) (interface{}, error) {
		av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
		ka, kb := kind(av), kind(bv)
		if ka == 0 {
			return nil, fmt.Errorf("%s: unknown type for %q (%T)", name, av, a)
		}
		if kb == 0 {
			return nil, fmt.Errorf("%s: unknown type for %q (%T)", name, bv, b)
		}
		own := func(v reflect.Value, k int) interface{} {
			switch k {
			case 1:
				return v.Int()
			case 2:
				return v.Uint()
			}
			return v.Float()
		}
		if ka == 3 || kb == 3 {
			f := func(v reflect.Value, k int) float64 {
				switch k {
				case 1:
					return float64(v.Int())
				case 2:
					return float64(v.Uint())
				}
				return v.Float()
			}
			x, y := f(av, ka), f(bv, kb)
			switch op {
			case '+':
				return x + y, nil
			case '-':
				return x - y, nil
			case '*':
				return x * y, nil
			case '/':
				return x / y, nil
			case '<':
				if x < y {
					return own(av, ka), nil
				}
				return own(bv, kb), nil
			default:
				if x > y {
					return own(av, ka), nil
				}
				return own(bv, kb), nil
			}
		}
		if ka == 2 && kb == 2 {
			x, y := av.Uint(), bv.Uint()
			switch op {
			case '+':
				return x + y, nil
			case '-':
				return x - y, nil
			case '*':
				return x * y, nil
			case '/':
				return x / y, nil
			case '%':
				return x % y, nil
			case '<':
				if x < y {
					return x, nil
				}
				return y, nil
			default:
				if x > y {
					return x, nil
				}
				return y, nil
			}
		}
		i := func(v reflect.Value, k int) int64 {
			if k == 2 {
				return int64(v.Uint())
			}
			return v.Int()
		}
		x, y := i(av, ka), i(bv, kb)
		switch op {
		case '+':
			return x + y, nil
		case '-':
			return x - y, nil
		case '*':
			return x * y, nil
		case '/':
			return x / y, nil
		case '%':
			return x % y, nil
		case '<':
			if x < y {
				return own(av, ka), nil
			}
			return own(bv, kb), nil
		default:
			if x > y {
				return own(av, ka), nil
			}
			return own(bv, kb), nil
		}
	}
}

// in_ is consul-template's `in`.
func in_(l, v interface{}) (bool, error) {
	lv := reflect.ValueOf(l)
	vv := reflect.ValueOf(v)

	switch lv.Kind() {
	case reflect.Array, reflect.Slice:
		var interfaceSlice []interface{}
		if reflect.TypeOf(l).Elem().Kind() == reflect.Interface {
			interfaceSlice = l.([]interface{})
		}
		for i := 0; i < lv.Len(); i++ {
			var lvv reflect.Value
			if interfaceSlice != nil {
				lvv = reflect.ValueOf(interfaceSlice[i])
			} else {
				lvv = lv.Index(i)
			}
			switch lvv.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				switch vv.Kind() {
				case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
					if vv.Int() == lvv.Int() {
						return true, nil
					}
				}
			case reflect.Float32, reflect.Float64:
				switch vv.Kind() {
				case reflect.Float32, reflect.Float64:
					if vv.Float() == lvv.Float() {
						return true, nil
					}
				}
			case reflect.String:
				if vv.Type() == lvv.Type() && vv.String() == lvv.String() {
					return true, nil
				}
			}
		}
	case reflect.String:
		if vv.Type() == lv.Type() && strings.Contains(lv.String(), vv.String()) {
			return true, nil
		}
	}
	return false, nil
}

func run(in *input) (out output) {
	out.ID = in.ID
	defer func() {
		if r := recover(); r != nil {
			out = output{ID: in.ID, OK: false, Phase: "panic", Err: fmt.Sprint(r)}
		}
	}()
	t := template.New("")
	fm := funcs(in)
	// consul-template's executeTemplate runs a template of the same set
	fm["executeTemplate"] = func(s string, data ...interface{}) (string, error) {
		var dot interface{}
		switch len(data) {
		case 0:
		case 1:
			dot = data[0]
		default:
			return "", fmt.Errorf("executeTemplate: wrong number of arguments, expected 1 or 2"+
				", but got %d", len(data)+1)
		}
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, s, dot); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	t = t.Delims(in.Left, in.Right).Funcs(fm)
	if in.ErrorOnMissingKey {
		t.Option("missingkey=error")
	} else {
		t.Option("missingkey=zero")
	}
	t, err := t.Parse(in.Template)
	if err != nil {
		return output{ID: in.ID, OK: false, Phase: "parse", Err: err.Error()}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, nil); err != nil {
		return output{ID: in.ID, OK: false, Phase: "exec", Err: err.Error()}
	}
	return output{ID: in.ID, OK: true, Out: base64.StdEncoding.EncodeToString(b.Bytes())}
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for sc.Scan() {
		var in input
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			fmt.Fprintln(os.Stderr, "oracle: bad input line:", err)
			os.Exit(2)
		}
		if err := enc.Encode(run(&in)); err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			os.Exit(2)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "oracle:", err)
		os.Exit(2)
	}
}

// oracleLoop: consul-template's loop, from its documented behaviour: 0 or
// START up to STOP, integers (unsigned ones converted to int64) or strings
// read with parseInt; a channel of int64.
func oracleLoop(args ...interface{}) (<-chan int64, error) {
	conv := func(a interface{}) (int64, error) {
		rv := reflect.ValueOf(a)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return rv.Int(), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return int64(rv.Uint()), nil
		case reflect.String:
			if rv.String() == "" {
				return 0, nil
			}
			n, err := strconv.ParseInt(rv.String(), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parseInt: %w", err)
			}
			return n, nil
		}
		return 0, fmt.Errorf("loop: bad argument type: %T", a)
	}
	var lo, hi interface{}
	if len(args) == 1 {
		lo, hi = 0, args[0]
	} else if len(args) == 2 {
		lo, hi = args[0], args[1]
	} else {
		return nil, fmt.Errorf("loop: wrong number of arguments, expected 1 or 2, but got %d", len(args))
	}
	from, err := conv(lo)
	if err != nil {
		return nil, err
	}
	to, err := conv(hi)
	if err != nil {
		return nil, err
	}
	ch := make(chan int64)
	go func() {
		for i := from; i < to; i++ {
			ch <- i
		}
		close(ch)
	}()
	return ch, nil
}

// sprigImplemented: the sprig functions vaultlet implements (the sprig_
// names in common/tmpl.c's table).
var sprigImplemented = []string{
	"upper", "lower", "trim", "trimAll", "trimPrefix", "trimSuffix", "replace",
	"b64enc", "sha256sum", "contains", "hasPrefix", "hasSuffix", "default",
	"empty", "coalesce", "all", "any", "quote", "squote",
	// lists, dicts and encodings (agent/template/rf_sprig.c)
	"list", "tuple", "first", "last", "rest", "initial", "append", "push", "prepend",
	"concat", "reverse", "uniq", "without", "has", "compact", "slice", "sortAlpha", "join",
	"splitList", "split", "toStrings", "dict", "get", "hasKey", "pluck", "pick", "omit",
	"dig", "b64dec", "b32enc", "b32dec", "toJson", "toPrettyJson", "toRawJson",
	"mustAppend", "mustPush", "mustPrepend", "mustFirst", "mustLast", "mustRest", "mustInitial", "mustReverse", "mustUniq", "mustWithout", "mustHas", "mustCompact", "mustSlice", "mustToJson", "mustToPrettyJson", "mustToRawJson",
	// math, conversions, strings, types (agent/template/rf_sprig_num.c)
	"add", "add1", "sub", "mul", "div", "mod", "max", "biggest", "min", "floor", "ceil", "round", "int", "int64", "float64", "atoi", "toString", "toDecimal", "repeat", "substr", "nospace", "trunc", "abbrev", "title", "untitle", "cat", "indent", "nindent", "plural", "ternary", "trimall", "hello", "fail", "sha1sum", "adler32sum", "typeOf", "typeIs", "typeIsLike", "kindOf", "kindIs", "deepEqual",
	"regexMatch", "mustRegexMatch", "regexReplaceAll", "mustRegexReplaceAll",
	"regexReplaceAllLiteral", "mustRegexReplaceAllLiteral", "regexQuoteMeta",
	"fromJson",
	"deepCopy", "mustDeepCopy",
	"seq", "splitn", "base", "dir", "clean", "ext", "isAbs", "osBase", "osDir", "osClean", "osExt", "osIsAbs",
}

// mutableFuncs: consul-template's toTOML, mergeMap and mergeMapWithOverride
// over the real libraries (BurntSushi toml, Debian's v1.2.0; mergo, Debian's
// v0.3.12), and scratch (one per execution, as consul-template's funcMap).
func mutableFuncs() template.FuncMap {
	var scratch cttemplate.Scratch
	return template.FuncMap{
		"scratch": func() *cttemplate.Scratch { return &scratch },
		// go-spew's Dump/Printf write to standard output, which is the
		// oracle's result channel here: the same calls into io.Discard.
		"spew_dump": func(args ...interface{}) (string, error) {
			spew.Fdump(io.Discard, args...)
			return "", nil
		},
		"spew_printf": func(format string, args ...interface{}) (string, error) {
			spew.Fprintf(io.Discard, format, args...)
			return "", nil
		},
		"toTOML": func(m interface{}) (string, error) {
			buf := bytes.NewBuffer([]byte{})
			enc := toml.NewEncoder(buf)
			if err := enc.Encode(m); err != nil {
				return "", fmt.Errorf("toTOML: %w", err)
			}
			result, err := io.ReadAll(buf)
			if err != nil {
				return "", fmt.Errorf("toTOML: %w", err)
			}
			return string(bytes.TrimSpace(result)), nil
		},
		"mergeMap": func(dst, src map[string]interface{}) (map[string]interface{}, error) {
			return mergeMap(dst, src)
		},
		"mergeMapWithOverride": func(dst, src map[string]interface{}) (map[string]interface{}, error) {
			return mergeMap(dst, src, mergo.WithOverride)
		},
	}
}

// mergeMap is consul-template's, over the real mergo (Debian's v0.3.12).
func mergeMap(dstMap map[string]interface{}, srcMap map[string]interface{}, args ...func(*mergo.Config)) (map[string]interface{}, error) {
	if err := mergo.Map(&dstMap, srcMap, args...); err != nil {
		return nil, err
	}
	return dstMap, nil
}
