// SPDX-License-Identifier: MIT
//
// Package dependency mirrors the types of consul-template's dependency
// package that a template can see, under the same package name, so that
// Go prints their type names exactly as Vault Agent does
// (*dependency.Secret). Used by tests/template/oracle.go only.
package dependency

// Secret mirrors consul-template's dependency.Secret.
type Secret struct {
	RequestID     string
	LeaseID       string
	LeaseDuration int
	Renewable     bool
	Data          map[string]interface{}
	Warnings      []string
	Auth          *SecretAuth
	WrapInfo      *SecretWrapInfo
}

// SecretAuth mirrors dependency.SecretAuth.
type SecretAuth struct {
	ClientToken   string
	Accessor      string
	Policies      []string
	Metadata      map[string]string
	LeaseDuration int
	Renewable     bool
}

// SecretWrapInfo mirrors dependency.SecretWrapInfo.
type SecretWrapInfo struct {
	Token           string
	TTL             int
	WrappedAccessor string
}

