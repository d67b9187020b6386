#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`vaultlet-agent render` end to end (through render-driver, i.e. the same
cmd_render() the binary dispatches to): exact stdout on success, nothing on
stdout and a line:column message on stderr on a template error, exit codes
(0 ok, 1 template or input error, 2 usage), flags. Prints TAP.

usage: test-render-cmd.py RENDER_DRIVER [VAULTLET_AGENT]
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from taplib import check, done  # noqa: E402

drv = sys.argv[1]
agent = sys.argv[2] if len(sys.argv) > 2 and os.path.exists(sys.argv[2]) else None
tests = []


def case(fn):
    tests.append(fn)
    return fn


tmp = tempfile.mkdtemp(prefix="vaultlet-render-test-")
atexit.register(shutil.rmtree, tmp, True)


def write(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return p


def run(*args, prog=None):
    p = subprocess.run([prog or drv, "render", *args], capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


SECRETS = write("s.json", json.dumps({
    "secret/data/litellm/secrets": {
        "data": {"db_password": "pw", "master_key": "sk-master",
                 "openrouter_api_key": "sk-or-v1-abc"},
        "metadata": {"version": 3}},
}).replace('"version": 3', '"version": 3, "n": 1e-7, "f": 1.50'))
TV01 = ("#!/bin/sh\n{{- with secret \"secret/data/litellm/secrets\" }}\n"
        "export PROXY_MASTER_KEY=\"{{ .Data.data.master_key }}\"\n"
        "export OPENROUTER_API_KEY=\"{{ .Data.data.openrouter_api_key }}\"\n"
        "export DATABASE_URL=\"postgresql://llmproxy:{{ .Data.data.db_password }}"
        "@host.docker.internal:5432/litellm\"\n{{- end }}\n")
TV01_OUT = (b"#!/bin/sh\nexport PROXY_MASTER_KEY=\"sk-master\"\n"
            b"export OPENROUTER_API_KEY=\"sk-or-v1-abc\"\n"
            b"export DATABASE_URL=\"postgresql://llmproxy:pw@host.docker.internal:5432/litellm\"\n")


@case
def help_flag():
    rc, out, err = run("--help")
    assert rc == 0 and b"usage: vaultlet-agent render -secrets FILE" in out, (rc, out, err)


@case
def renders_seed_template():
    rc, out, err = run("-secrets", SECRETS, write("t1", TV01))
    assert rc == 0 and out == TV01_OUT and err == "", (rc, out, err)


@case
def flag_forms():
    t = write("t1b", TV01)
    for args in (["--secrets", SECRETS, t], ["-secrets=" + SECRETS, t], [t, "-secrets", SECRETS]):
        rc, out, err = run(*args)
        assert rc == 0 and out == TV01_OUT, (args, rc, err)


@case
def numbers_keep_their_text():
    t = write("t2", '{{ with secret "secret/data/litellm/secrets" }}{{ .Data.metadata.n }} '
                    '{{ .Data.metadata.f }} {{ .Data.metadata | toJSON }}{{ end }}')
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 0 and out == b'1e-7 1.50 {"f":1.50,"n":1e-7,"version":3}', (rc, out, err)


@case
def parse_error_has_line_and_column_and_no_stdout():
    t = write("t3", "line one\n{{ with secret \"x\" }}{{ .Data.data.api-key }}{{ end }}\n")
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 1 and out == b"" and t + ":2:35: bad character U+002D '-'" in err, (rc, out, err)


@case
def execution_error_has_no_partial_output():
    t = write("t4", "A" * 5000 + '{{ with secret "secret/data/litellm/secrets" }}'
              '{{ .Data.data.master_key | trimSpace | printf "%s" }}{{ .Data.metadata.n | trimSpace }}'
              '{{ end }}')
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 1 and out == b"" and "expected string; got json.Number" in err, (rc, out, err)
    assert "sk-master" not in err


@case
def missing_key_option():
    t = write("t5", '{{ with secret "secret/data/litellm/secrets" }}[{{ .Data.data.nope }}]{{ end }}')
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 0 and out == b"[<no value>]", (rc, out, err)
    rc, out, err = run("-secrets", SECRETS, "-error-on-missing-key", t)
    assert rc == 1 and out == b"" and 'map has no entry for key "nope"' in err, (rc, out, err)


@case
def secret_absent_from_file():
    t = write("t6", '{{ with secret "secret/data/other?version=2" }}x{{ end }}')
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 1 and out == b"" and 'secret "secret/data/other?version=2" is not in' in err, \
        (rc, out, err)


@case
def write_form_answer_under_its_path():
    # secret PATH "k=v"...: the file gives the write's answer under PATH
    s = write("s-pki.json", json.dumps({"pki/issue/web": {"certificate": "CERT", "private_key": "KEY"}}))
    t = write("t-pki", '{{ with secret "pki/issue/web" "common_name=a.svc" "ttl=24h" }}'
              '{{ .Data.certificate }}/{{ .Data.private_key }}{{ end }}')
    rc, out, err = run("-secrets", s, t)
    assert rc == 0 and out == b"CERT/KEY", (rc, out, err)
    t = write("t-pki2", '{{ with secret "pki/issue/other" "common_name=a" }}x{{ end }}')
    rc, out, err = run("-secrets", s, t)
    assert rc == 1 and out == b"" and 'secret "pki/issue/other" is not in' in err, (rc, out, err)


@case
def secrets_lists_data_keys():
    s = write("s-list.json", json.dumps({"secret/metadata/app": {"keys": ["a", "b/"]}}))
    t = write("t-list", '{{ range secrets "secret/metadata/app/" }}<{{ . }}>{{ end }}')
    rc, out, err = run("-secrets", s, t)
    assert rc == 0 and out == b"<a><b/>", (rc, out, err)


@case
def pkicert_from_file():
    s = write("s-pkic.json", json.dumps({"pki/issue/web": {"Cert": "C\n", "Key": "K\n", "CA": "A\n",
                                                            "CAChain": ["A\n"]}}))
    t = write("t-pkic", '{{ with pkiCert "pki/issue/web" "common_name=a" }}{{ .Cert }}{{ .Key }}{{ .CA }}{{ end }}')
    rc, out, err = run("-secrets", s, t)
    assert rc == 0 and out == b"C\nK\nA\n", (rc, out, err)


@case
def loop_ranges_like_go():
    # Expected bytes from Go (tests/template/oracle.go's loop, consul-template's semantics).
    t = write("t-loop", '{{ range loop 3 }}{{ . }}{{ printf "%T" . }},{{ end }}|'
                        '{{ range $i := loop "2" 5 }}{{ $i }}{{ end }}|'
                        '{{ range loop 5 2 }}x{{ else }}none{{ end }}|{{ range loop -2 "1" }}{{ . }};{{ end }}')
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 0 and out == b"0int64,1int64,2int64,|234|none|-2;-1;0;", (rc, out, err)
    rc, out, err = run("-secrets", SECRETS, write("t-loop2", "{{ loop 3 }}"))
    assert rc == 1 and out == b"" and "loop outside range is not supported by vaultlet" in err, err
    rc, out, err = run("-secrets", SECRETS, write("t-loop3", "{{ range loop 1.5 }}{{ end }}"))
    assert rc == 1 and "error calling loop: loop: bad argument type: float64" in err, err


@case
def pkicert_is_a_struct_not_a_map():
    # Go's value is dependency.PemEncoded: fields only; a missing one is its zero value.
    s = write("s-pkis.json", json.dumps({"pki/issue/web": {"Cert": "C\n", "Key": "K\n", "CA": "A\n",
                                                            "CAChain": ["A\n", "B\n"]},
                                          "pki/issue/e": {}}))
    t = write("t-pkis", '{{ with pkiCert "pki/issue/web" }}{{ .CAChain }}|{{ join "," .CAChain }}|'
                        '{{ printf "%T" .CAChain }}{{ end }}|{{ with pkiCert "pki/issue/e" }}'
                        '[{{ .Cert }}][{{ .CAChain }}]{{ end }}')
    rc, out, err = run("-secrets", s, t)
    assert rc == 0 and out == b"[A\n B\n]|A\n,B\n|[]string|[][[]]", (rc, out, err)
    rc, out, err = run("-secrets", s, write("t-pkis2", '{{ (pkiCert "pki/issue/web").Foo }}'))
    assert rc == 1 and "can't evaluate field Foo in type dependency.PemEncoded" in err, err
    for i, bad in enumerate(['{{ pkiCert "pki/issue/web" }}', '{{ toJSON (pkiCert "pki/issue/web") }}',
                             '{{ range pkiCert "pki/issue/web" }}{{ end }}',
                             '{{ with pkiCert "pki/issue/web" }}{{ printf "%v" . }}{{ end }}']):
        rc, out, err = run("-secrets", s, write("t-pkis-bad%d" % i, bad))
        assert rc == 1 and out == b"" and "whole value of pkiCert" in err and \
            "not supported by vaultlet" in err, (bad, err)


@case
def shell_quote_like_the_agent():
    # The agent accepts vaultlet's shellQuote, so its preview does too.
    t = write("t7", '{{ "it\'s" | shellQuote }}')
    rc, out, err = run("-secrets", SECRETS, t)
    assert rc == 0 and out == b"'it'\\''s'", (rc, out, err)
    rc, out, err = run("-secrets", SECRETS, "-extensions", "shellQuote", t)
    assert rc == 2, (rc, out, err)


@case
def custom_delimiters():
    t = write("t8", '{{ literal }} <<- with secret "secret/data/litellm/secrets" >> <<.Data.data.db_password>><< end >>')
    rc, out, err = run("-secrets", SECRETS, "-left-delim", "<<", "-right-delim", ">>", t)
    assert rc == 0 and out == b"{{ literal }} pw", (rc, out, err)


@case
def usage_errors_exit_2():
    t = write("t9", "x")
    for args in ([t], ["-secrets", SECRETS], ["-secrets", SECRETS, t, t], ["-bogus", t],
                 ["-secrets"]):
        rc, out, err = run(*args)
        assert rc == 2 and out == b"", (args, rc, out, err)


@case
def bad_inputs_exit_1():
    t = write("t10", "x")
    rc, out, err = run("-secrets", write("bad.json", "{"), t)
    assert rc == 1 and out == b"" and "bad.json" in err, (rc, err)
    rc, out, err = run("-secrets", write("arr.json", "[]"), t)
    assert rc == 1 and "expected a JSON object" in err, (rc, err)
    rc, out, err = run("-secrets", os.path.join(tmp, "nope.json"), t)
    assert rc == 1 and "nope.json" in err, (rc, err)
    rc, out, err = run("-secrets", SECRETS, os.path.join(tmp, "nope.tmpl"))
    assert rc == 1 and "nope.tmpl" in err, (rc, err)


@case
def real_binary_same_result():
    if agent is None:
        return "SKIP vaultlet-agent not built"
    rc, out, err = run("-secrets", SECRETS, write("t11", TV01), prog=agent)
    assert rc == 0 and out == TV01_OUT, (rc, out, err)


for t in tests:
    check(t.__name__, t)
sys.exit(done())
