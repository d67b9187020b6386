// SPDX-License-Identifier: MIT
//
// freshload: sends an AdmissionReview over a fresh TLS connection per
// request (as an API server does after its idle timeout), at a fixed rate for
// a fixed time, with Go's net/http client (the API server's stack), and
// prints one JSON line: requests, successes (200), p50/p99 in ms, and the
// first errors. Loopback only; bounded by -rate and -duration.
//
// usage: freshload -url https://127.0.0.1:PORT/mutate -ca ca.crt -body review.json
//
//	[-rate 20] [-duration 30s] [-timeout 10s]
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"time"
)

func main() {
	u := flag.String("url", "", "https://127.0.0.1:PORT/mutate")
	caFile := flag.String("ca", "", "CA certificate (PEM)")
	bodyFile := flag.String("body", "", "the review to send")
	rate := flag.Float64("rate", 20, "requests per second (at most 1000)")
	dur := flag.Duration("duration", 30*time.Second, "how long (at most 1h)")
	timeout := flag.Duration("timeout", 10*time.Second, "per request")
	flag.Parse()
	pu, err := url.Parse(*u)
	if err != nil || pu.Scheme != "https" {
		fail("-url must be https://127.0.0.1:PORT/...")
	}
	if ip := net.ParseIP(pu.Hostname()); ip == nil || !ip.IsLoopback() {
		fail("-url: loopback addresses only")
	}
	if *rate <= 0 || *rate > 1000 || *dur <= 0 || *dur > time.Hour {
		fail("-rate must be in (0, 1000] and -duration in (0, 1h]")
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		fail(err.Error())
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fail(err.Error())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"},
	}}
	var mu sync.Mutex
	var lat []float64
	errs := map[string]int{}
	n, ok := 0, 0
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	end := time.Now().Add(*dur)
	for time.Now().Before(end) {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			r, err := client.Post(*u, "application/json", bytes.NewReader(body))
			status := 0
			if err == nil {
				_, err = io.Copy(io.Discard, r.Body)
				r.Body.Close()
				status = r.StatusCode
			}
			ms := float64(time.Since(t0).Microseconds()) / 1000
			mu.Lock()
			defer mu.Unlock()
			n++
			switch {
			case err != nil:
				errs[err.Error()]++
			case status != 200:
				errs[fmt.Sprintf("status %d", status)]++
			default:
				ok++
				lat = append(lat, ms)
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	sort.Float64s(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return -1
		}
		i := int(p * float64(len(lat)))
		if i >= len(lat) {
			i = len(lat) - 1
		}
		return lat[i]
	}
	out, _ := json.Marshal(map[string]interface{}{"n": n, "ok": ok, "p50": pct(0.50),
		"p99": pct(0.99), "errors": errs})
	fmt.Println(string(out))
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "freshload:", msg)
	os.Exit(2)
}
