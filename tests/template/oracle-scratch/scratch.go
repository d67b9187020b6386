// SPDX-License-Identifier: MIT
//
// Package template gives the oracle consul-template's Scratch type under
// the name Go prints for it (*template.Scratch): the same fields (a
// sync.Once, an embedded sync.RWMutex, the values map) and the same
// methods with the same signatures and behaviour, written for the test
// (consul-template itself is not packaged offline).
package template

import (
	"fmt"
	"sort"
	"sync"
)

// Scratch is the per-execution scratch pad the `scratch` function returns.
type Scratch struct {
	once sync.Once
	sync.RWMutex
	values map[string]interface{}
}

func (s *Scratch) ensure() {
	if s.values == nil {
		s.values = map[string]interface{}{}
	}
}

// Key reports whether k is set.
func (s *Scratch) Key(k string) bool {
	s.RLock()
	defer s.RUnlock()
	_, found := s.values[k]
	return found
}

// Get returns the value at k (nil when unset).
func (s *Scratch) Get(k string) interface{} {
	s.RLock()
	defer s.RUnlock()
	return s.values[k]
}

// Set stores v at k; the empty string result prints nothing.
func (s *Scratch) Set(k string, v interface{}) string {
	s.Lock()
	defer s.Unlock()
	s.ensure()
	s.values[k] = v
	return ""
}

// SetX stores v at k only when k is unset.
func (s *Scratch) SetX(k string, v interface{}) string {
	s.Lock()
	defer s.Unlock()
	s.ensure()
	if _, found := s.values[k]; !found {
		s.values[k] = v
	}
	return ""
}

// MapSet stores v under mk in the map at k (made when k is unset).
func (s *Scratch) MapSet(k, mk string, v interface{}) (string, error) {
	s.Lock()
	defer s.Unlock()
	s.ensure()
	return s.put(k, mk, v, true)
}

// MapSetX is MapSet that keeps an existing mk.
func (s *Scratch) MapSetX(k, mk string, v interface{}) (string, error) {
	s.Lock()
	defer s.Unlock()
	s.ensure()
	return s.put(k, mk, v, false)
}

func (s *Scratch) put(k, mk string, v interface{}, replace bool) (string, error) {
	if _, found := s.values[k]; !found {
		s.values[k] = map[string]interface{}{}
	}
	m, isMap := s.values[k].(map[string]interface{})
	if !isMap {
		return "", fmt.Errorf("%q is not a map", k)
	}
	if _, found := m[mk]; replace || !found {
		m[mk] = v
	}
	return "", nil
}

// MapValues returns the values of the map at k in key order.
func (s *Scratch) MapValues(k string) ([]interface{}, error) {
	s.Lock()
	defer s.Unlock()
	s.ensure()
	m, isMap := s.values[k].(map[string]interface{})
	if !isMap {
		return nil, nil
	}
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	out := make([]interface{}, len(keys))
	for i, key := range keys {
		out[i] = m[key]
	}
	return out, nil
}
