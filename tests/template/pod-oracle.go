// SPDX-License-Identifier: MIT
//
// The Go side of tests/template/test-pod-vs-go.py: renders one template with
// Go's text/template and consul-template's file, writeToFile and plugin,
// re-written here from template/funcs.go and dependency/file.go (the library
// is not packaged in Debian). `file` reads the file directly: that is what
// the last of consul-template's passes sees (the first returns "").
//
// usage: pod-oracle TEMPLATE_FILE    (result as JSON on stdout:
// {"ok": bool, "out": "...", "err": "..."})
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// consul-template's FileQuery: os.Stat (its watch), then os.ReadFile, each
// error wrapped with "file(PATH)"; an empty argument is "".
func file(s string) (string, error) {
	if len(s) == 0 {
		return "", nil
	}
	p := filepath.Clean(strings.TrimSpace(s))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("file(%s): %w", p, err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("file(%s): %w", p, err)
	}
	return string(data), nil
}

// consul-template's writeToFile: PATH USER GROUP MODE [FLAGS] CONTENT.
func writeToFile(path, username, groupName, permissions string, args ...string) (string, error) {
	flags := ""
	if len(args) == 2 {
		flags = args[0]
	}
	content := args[len(args)-1]
	mode, err := strconv.ParseUint(permissions, 8, 32)
	if err != nil {
		return "", err
	}
	perm := os.FileMode(mode)
	clean := filepath.Clean(path)
	dir := filepath.Dir(clean)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		if err := os.MkdirAll(dir, os.ModePerm); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	di, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("writeToFile: failed to stat directory %q: %w", dir, err)
	}
	if di.Mode()&os.ModeSymlink != 0 {
		return "", fmt.Errorf("writeToFile: refusing to write through symlinked directory in path %q", path)
	}
	target := filepath.Join(dir, filepath.Base(clean))
	fi, lerr := os.Lstat(target)
	if lerr != nil && !os.IsNotExist(lerr) {
		return "", fmt.Errorf("writeToFile: failed to stat %q: %w", target, lerr)
	}
	if lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
		return "", fmt.Errorf("writeToFile: refusing to write to symlink %q", path)
	}
	var f *os.File
	if strings.Contains(flags, "append") {
		f, err = os.OpenFile(target, os.O_APPEND|os.O_WRONLY|os.O_CREATE|0x20000, perm)
	} else {
		f, err = os.OpenFile(target, os.O_RDWR|os.O_CREATE|os.O_TRUNC|0x20000, perm)
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	b := []byte(content)
	if strings.Contains(flags, "newline") {
		b = append(b, '\n')
	}
	if _, err := f.Write(b); err != nil {
		return "", err
	}
	uid, gid := os.Getuid(), os.Getgid()
	if username != "" {
		u, err := user.Lookup(username)
		if err != nil {
			n, cerr := strconv.Atoi(username)
			if cerr != nil {
				return "", err
			}
			uid = n
		} else {
			uid, _ = strconv.Atoi(u.Uid)
		}
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			n, cerr := strconv.Atoi(groupName)
			if cerr != nil {
				return "", err
			}
			gid = n
		} else {
			gid, _ = strconv.Atoi(g.Gid)
		}
	}
	if username != "" || groupName != "" {
		if err := f.Chown(uid, gid); err != nil {
			return "", err
		}
	}
	if err := f.Chmod(perm); err != nil {
		return "", err
	}
	return "", nil
}

// consul-template's plugin: each argument trimmed (empty ones dropped), 30 s,
// standard output trimmed.
func plugin(name string, args ...string) (string, error) {
	if name == "" {
		return "", nil
	}
	var stdout, stderr bytes.Buffer
	kept := make([]string, 0, len(args))
	for _, a := range args {
		if v := strings.TrimSpace(a); v != "" {
			kept = append(kept, v)
		}
	}
	cmd := exec.Command(name, kept...)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("exec %q: %s\n\nstdout:\n\n%s\n\nstderr:\n\n%s",
			name, err, stdout.Bytes(), stderr.Bytes())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		return "", fmt.Errorf("exec %q: did not finish in 30s", name)
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("exec %q: %s\n\nstdout:\n\n%s\n\nstderr:\n\n%s",
				name, err, stdout.Bytes(), stderr.Bytes())
		}
	}
	return strings.TrimSpace(stdout.String()), nil
}

func main() {
	text, err := os.ReadFile(os.Args[1])
	res := map[string]interface{}{"ok": false, "out": "", "err": ""}
	enc := json.NewEncoder(os.Stdout)
	if err != nil {
		res["err"] = err.Error()
		enc.Encode(res)
		return
	}
	t, err := template.New("t").Funcs(template.FuncMap{
		"file": file, "writeToFile": writeToFile, "plugin": plugin,
	}).Parse(string(text))
	if err != nil {
		res["err"] = err.Error()
		enc.Encode(res)
		return
	}
	var out bytes.Buffer
	if err := t.Execute(&out, nil); err != nil {
		res["err"] = err.Error()
		enc.Encode(res)
		return
	}
	res["ok"] = true
	res["out"] = out.String()
	enc.Encode(res)
}
