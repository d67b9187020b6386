// SPDX-License-Identifier: MIT
//
// An independent oracle for VAULT_CONFIG: Go structs with the stock
// injector's field order and omitempty rules (from the Vault Agent config
// schema the injector writes; written for this test, not copied), and Go's
// own encoding/json. Each line of stdin is one base64 VAULT_CONFIG; the
// program decodes it, unmarshals it into the structs (unknown fields are an
// error), marshals it again and prints "ok N" when the bytes are identical,
// or "diff N" with both texts. vaultlet must produce exactly what Go would.
//
// Go 1.19 (Debian's) writes \b and \f as \u0008 and \u000c; the stock
// injector's Go (>= 1.22) writes \b and \f. Test configs avoid those bytes.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
)

type Config struct {
	AutoAuth       *AutoAuth       `json:"auto_auth"`
	ExitAfterAuth  bool            `json:"exit_after_auth"`
	PidFile        string          `json:"pid_file"`
	Vault          *VaultConfig    `json:"vault"`
	Templates      []*Template     `json:"template,omitempty"`
	TemplateConfig *TemplateConfig `json:"template_config,omitempty"`
	Vaultlet       *Vaultlet       `json:"vaultlet,omitempty"`
}

type VaultConfig struct {
	Address       string `json:"address"`
	CACert        string `json:"ca_cert,omitempty"`
	CAPath        string `json:"ca_path,omitempty"`
	TLSSkipVerify bool   `json:"tls_skip_verify,omitempty"`
	ClientCert    string `json:"client_cert,omitempty"`
	ClientKey     string `json:"client_key,omitempty"`
	TLSServerName string `json:"tls_server_name,omitempty"`
}

type AutoAuth struct {
	Method *Method `json:"method,omitempty"`
	Sinks  []*Sink `json:"sink,omitempty"`
}

type Method struct {
	Type       string                 `json:"type"`
	MountPath  string                 `json:"mount_path,omitempty"`
	MinBackoff string                 `json:"min_backoff,omitempty"`
	MaxBackoff string                 `json:"max_backoff,omitempty"`
	Namespace  string                 `json:"namespace,omitempty"`
	Config     map[string]interface{} `json:"config,omitempty"`
	ExitOnErr  bool                   `json:"exit_on_err,omitempty"`
}

type Sink struct {
	Type   string                 `json:"type"`
	Config map[string]interface{} `json:"config,omitempty"`
}

type Template struct {
	CreateDestDirs bool   `json:"create_dest_dirs,omitempty"`
	Destination    string `json:"destination"`
	Contents       string `json:"contents,omitempty"`
	LeftDelim      string `json:"left_delimiter,omitempty"`
	RightDelim     string `json:"right_delimiter,omitempty"`
	Command        string `json:"command,omitempty"`
	Source         string `json:"source,omitempty"`
	Perms          string `json:"perms,omitempty"`
	ErrMissingKey  bool   `json:"error_on_missing_key,omitempty"`
}

type TemplateConfig struct {
	ExitOnRetryFailure         bool    `json:"exit_on_retry_failure"`
	StaticSecretRenderInterval string  `json:"static_secret_render_interval,omitempty"`
	MaxConnectionsPerHost      int64   `json:"max_connections_per_host,omitempty"`
	LeaseRenewalThreshold      float64 `json:"lease_renewal_threshold,omitempty"`
}

type Vaultlet struct {
	RevokeOnShutdown bool `json:"revoke_on_shutdown,omitempty"`
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	n := 0
	for sc.Scan() {
		n++
		raw, err := base64.StdEncoding.DecodeString(sc.Text())
		if err != nil {
			fmt.Printf("diff %d base64: %v\n", n, err)
			continue
		}
		var c Config
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			fmt.Printf("diff %d decode: %v\n", n, err)
			continue
		}
		again, err := json.Marshal(&c)
		if err != nil {
			fmt.Printf("diff %d marshal: %v\n", n, err)
			continue
		}
		if bytes.Equal(again, raw) {
			fmt.Printf("ok %d\n", n)
		} else {
			fmt.Printf("diff %d\n  vaultlet: %s\n  go:       %s\n", n, raw, again)
		}
	}
}
