// SPDX-License-Identifier: MIT
//
// gowebhook: the comparison point for bench/webhook. A straightforward Go
// implementation of the same mutation vaultlet-webhook performs for the
// seed's LiteLLM pod, the way a Go programmer would write it with the
// standard library only: net/http + crypto/tls serving POST /mutate,
// encoding/json into typed structs, the agent config marshalled from structs,
// base64, a JSON Patch of add operations. It handles the annotations the
// benchmark pod uses (agent-inject, status, role, agent-inject-secret-*,
// agent-inject-template-*), not the whole catalogue; it is not a product.
//
// usage: GO111MODULE=off go run main.go -listen 127.0.0.1:8444 -cert tls.crt -key tls.key
package main

import (
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

const prefix = "vault.hashicorp.com/"

type review struct {
	APIVersion string    `json:"apiVersion"`
	Kind       string    `json:"kind"`
	Request    *request  `json:"request,omitempty"`
	Response   *response `json:"response,omitempty"`
}

type request struct {
	UID       string          `json:"uid"`
	Namespace string          `json:"namespace"`
	Object    json.RawMessage `json:"object"`
}

type status struct {
	Message string `json:"message"`
}

type response struct {
	UID       string  `json:"uid"`
	Allowed   bool    `json:"allowed"`
	Result    *status `json:"status,omitempty"`
	Patch     []byte  `json:"patch,omitempty"`
	PatchType *string `json:"patchType,omitempty"`
}

type volumeMount struct {
	Name      string `json:"name"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
	MountPath string `json:"mountPath"`
}

type container struct {
	Name         string        `json:"name"`
	VolumeMounts []volumeMount `json:"volumeMounts,omitempty"`
}

type volume struct {
	Name string `json:"name"`
}

type pod struct {
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec struct {
		InitContainers []container `json:"initContainers"`
		Containers     []container `json:"containers"`
		Volumes        []volume    `json:"volumes"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

type sink struct {
	Type   string            `json:"type"`
	Config map[string]string `json:"config"`
}

type method struct {
	Type      string            `json:"type"`
	MountPath string            `json:"mount_path,omitempty"`
	Config    map[string]string `json:"config,omitempty"`
}

type tmpl struct {
	Destination string `json:"destination"`
	Contents    string `json:"contents,omitempty"`
	LeftDelim   string `json:"left_delimiter,omitempty"`
	RightDelim  string `json:"right_delimiter,omitempty"`
}

type agentConfig struct {
	AutoAuth struct {
		Method method `json:"method"`
		Sinks  []sink `json:"sink"`
	} `json:"auto_auth"`
	ExitAfterAuth bool `json:"exit_after_auth"`
	PidFile       string `json:"pid_file"`
	Vault         struct {
		Address string `json:"address"`
	} `json:"vault"`
	Templates      []tmpl `json:"template,omitempty"`
	TemplateConfig struct {
		ExitOnRetryFailure bool `json:"exit_on_retry_failure"`
	} `json:"template_config"`
}

type fieldRef struct {
	FieldPath string `json:"fieldPath"`
}

type envVar struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	ValueFrom *struct {
		FieldRef fieldRef `json:"fieldRef"`
	} `json:"valueFrom,omitempty"`
}

type agentContainer struct {
	Name            string                       `json:"name"`
	Image           string                       `json:"image"`
	Command         []string                     `json:"command"`
	Env             []envVar                     `json:"env"`
	Resources       map[string]map[string]string `json:"resources"`
	VolumeMounts    []volumeMount                `json:"volumeMounts"`
	SecurityContext map[string]interface{}       `json:"securityContext"`
}

type op struct {
	Op    string      `json:"op"`
	Path  string      `json:"path"`
	Value interface{} `json:"value"`
}

var vaultAddr = "https://vault.vault.svc:8200"

func fieldEnv(name, field string) envVar {
	e := envVar{Name: name}
	e.ValueFrom = &struct {
		FieldRef fieldRef `json:"fieldRef"`
	}{FieldRef: fieldRef{FieldPath: field}}
	return e
}

func mutate(req *request) *response {
	var p pod
	if err := json.Unmarshal(req.Object, &p); err != nil {
		return &response{UID: req.UID, Result: &status{Message: err.Error()}}
	}
	resp := &response{UID: req.UID, Allowed: true}
	a := p.Metadata.Annotations
	raw, ok := a[prefix+"agent-inject"]
	if !ok {
		return resp
	}
	inject, err := strconv.ParseBool(raw)
	if err != nil {
		return &response{UID: req.UID, Result: &status{Message: err.Error()}}
	}
	if !inject || (p.Status.Phase != "" && p.Status.Phase != "Pending") || a[prefix+"agent-inject-status"] == "injected" {
		return resp
	}
	// the service-account mount
	var saName, saPath string
	for _, c := range p.Spec.Containers {
		for _, m := range c.VolumeMounts {
			if saName == "" && strings.Contains(m.MountPath, "serviceaccount") {
				saName, saPath = m.Name, m.MountPath
			}
		}
	}
	if saName == "" {
		return &response{UID: req.UID, Result: &status{Message: "failed to find service account volume mount"}}
	}
	// secrets, by name
	names := map[string]bool{}
	for k, v := range a {
		for _, pre := range []string{"agent-inject-secret-", "agent-inject-template-"} {
			if strings.HasPrefix(k, prefix+pre) && strings.TrimSpace(v) != "" {
				names[strings.TrimPrefix(k, prefix+pre)] = true
			}
		}
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	cfg := func(init bool) string {
		var c agentConfig
		c.AutoAuth.Method = method{Type: "kubernetes", MountPath: "auth/kubernetes",
			Config: map[string]string{"role": a[prefix+"role"], "token_path": path.Join(saPath, "token")}}
		c.AutoAuth.Sinks = []sink{{Type: "file", Config: map[string]string{"path": "/home/vault/.vault-token"}}}
		c.ExitAfterAuth = init
		c.PidFile = "/home/vault/.pid"
		c.Vault.Address = vaultAddr
		for _, n := range sorted {
			t := a[prefix+"agent-inject-template-"+n]
			if t == "" {
				t = "{{ with secret \"" + a[prefix+"agent-inject-secret-"+n] + "\" }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}"
			}
			c.Templates = append(c.Templates, tmpl{Destination: "/vault/secrets/" + strings.ToLower(n),
				Contents: t, LeftDelim: "{{", RightDelim: "}}"})
		}
		c.TemplateConfig.ExitOnRetryFailure = true
		b, _ := json.Marshal(&c)
		return base64.StdEncoding.EncodeToString(b)
	}
	agent := func(init bool) agentContainer {
		name, home := "vault-agent", "home-sidecar"
		mounts := []volumeMount{{Name: saName, ReadOnly: true, MountPath: saPath}, {Name: home, MountPath: "/home/vault"}}
		if init {
			name, home = "vault-agent-init", "home-init"
			mounts = []volumeMount{{Name: home, MountPath: "/home/vault"}, {Name: saName, ReadOnly: true, MountPath: saPath}}
		}
		mounts = append(mounts, volumeMount{Name: "vault-secrets", MountPath: "/vault/secrets"})
		return agentContainer{
			Name: name, Image: "vaultlet/vaultlet:0.1.0", Command: []string{"/usr/local/bin/vaultlet-agent"},
			Env: []envVar{fieldEnv("NAMESPACE", "metadata.namespace"), fieldEnv("HOST_IP", "status.hostIP"),
				fieldEnv("POD_IP", "status.podIP"), {Name: "VAULT_LOG_LEVEL", Value: "info"},
				{Name: "VAULT_LOG_FORMAT", Value: "standard"}, {Name: "VAULT_CONFIG", Value: cfg(init)}},
			Resources: map[string]map[string]string{"limits": {"cpu": "500m", "memory": "128Mi"},
				"requests": {"cpu": "250m", "memory": "64Mi"}},
			VolumeMounts: mounts,
			SecurityContext: map[string]interface{}{"capabilities": map[string][]string{"drop": {"ALL"}},
				"runAsUser": 100, "runAsGroup": 1000, "runAsNonRoot": true, "readOnlyRootFilesystem": true,
				"allowPrivilegeEscalation": false, "seccompProfile": map[string]string{"type": "RuntimeDefault"}},
		}
	}
	var ops []op
	nvol := len(p.Spec.Volumes)
	for _, v := range []string{"home-init", "home-sidecar", "vault-secrets"} {
		val := map[string]interface{}{"name": v, "emptyDir": map[string]string{"medium": "Memory"}}
		if nvol == 0 {
			ops = append(ops, op{"add", "/spec/volumes", []interface{}{val}})
		} else {
			ops = append(ops, op{"add", "/spec/volumes/-", val})
		}
		nvol++
	}
	for i, c := range p.Spec.Containers {
		m := volumeMount{Name: "vault-secrets", MountPath: "/vault/secrets"}
		if len(c.VolumeMounts) == 0 {
			ops = append(ops, op{"add", "/spec/containers/" + strconv.Itoa(i) + "/volumeMounts", []volumeMount{m}})
		} else {
			ops = append(ops, op{"add", "/spec/containers/" + strconv.Itoa(i) + "/volumeMounts/-", m})
		}
	}
	if len(p.Spec.InitContainers) == 0 {
		ops = append(ops, op{"add", "/spec/initContainers", []agentContainer{agent(true)}})
	} else {
		ops = append(ops, op{"add", "/spec/initContainers/-", agent(true)})
	}
	ops = append(ops, op{"add", "/spec/containers/-", agent(false)})
	ops = append(ops, op{"add", "/metadata/annotations/vault.hashicorp.com~1agent-inject-status", "injected"})
	patch, _ := json.Marshal(ops)
	pt := "JSONPatch"
	resp.Patch = patch
	resp.PatchType = &pt
	return resp
}

func handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil || len(body) == 0 {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	var in review
	if err := json.Unmarshal(body, &in); err != nil || in.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	out := review{APIVersion: in.APIVersion, Kind: "AdmissionReview", Response: mutate(in.Request)}
	b, _ := json.Marshal(&out)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8444", "address")
	cert := flag.String("cert", "tls.crt", "certificate")
	key := flag.String("key", "tls.key", "key")
	flag.Parse()
	http.HandleFunc("/mutate", handle)
	log.Fatal(http.ListenAndServeTLS(*listen, *cert, *key, nil))
}
