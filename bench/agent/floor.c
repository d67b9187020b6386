/* SPDX-License-Identifier: MIT */
/*
 * floor: the least a C program can do for the LiteLLM job, as the
 * benchmark's floor. The same libcurl and OpenSSL as vaultlet-agent, the
 * same two HTTPS requests (Kubernetes login, KV v2 read) on one kept-alive
 * connection, and one file written. No config parsing, no templates, no
 * retries, no token hygiene: only to measure what libcurl + OpenSSL cost.
 *
 *   floor ADDRESS CA_CERT JWT_FILE ROLE SECRET_PATH OUT_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct mem {
	char *p;
	size_t n;
};

static size_t on_body(char *d, size_t s, size_t n, void *ctx)
{
	struct mem *m = ctx;
	char *g = realloc(m->p, m->n + s * n + 1);

	if (!g)
		return 0;
	memcpy(g + m->n, d, s * n);
	m->p = g;
	m->n += s * n;
	m->p[m->n] = '\0';
	return s * n;
}

int main(int argc, char **argv)
{
	char url[1024], body[8192], hdr[1100], jwt[4096], token[1024];
	struct mem m = { 0 };
	struct curl_slist *h = NULL;
	const char *t, *e;
	size_t n;
	FILE *f;
	CURL *c;

	if (argc != 7) {
		fputs("usage: floor ADDRESS CA_CERT JWT_FILE ROLE SECRET_PATH OUT_FILE\n", stderr);
		return 2;
	}
	f = fopen(argv[3], "r");
	if (!f)
		return 1;
	n = fread(jwt, 1, sizeof(jwt) - 1, f);
	fclose(f);
	while (n > 0 && (jwt[n - 1] == '\n' || jwt[n - 1] == ' '))
		n--;
	jwt[n] = '\0';
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_CAINFO, argv[2]);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &m);
	h = curl_slist_append(h, "X-Vault-Request: true");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	snprintf(url, sizeof(url), "%s/v1/auth/kubernetes/login", argv[1]);
	snprintf(body, sizeof(body), "{\"jwt\":\"%s\",\"role\":\"%s\"}", jwt, argv[4]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) != CURLE_OK || !m.p)
		return 1;
	t = strstr(m.p, "\"client_token\":\"");
	if (!t)
		return 1;
	t += strlen("\"client_token\":\"");
	e = strchr(t, '"');
	if (!e || (size_t)(e - t) >= sizeof(token))
		return 1;
	memcpy(token, t, (size_t)(e - t));
	token[e - t] = '\0';
	snprintf(hdr, sizeof(hdr), "X-Vault-Token: %s", token);
	h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	snprintf(url, sizeof(url), "%s/v1/%s", argv[1], argv[5]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	free(m.p);
	m = (struct mem){ 0 };
	if (curl_easy_perform(c) != CURLE_OK || !m.p)
		return 1;
	f = fopen(argv[6], "w");
	if (!f)
		return 1;
	fwrite(m.p, 1, m.n, f);
	fclose(f);
	free(m.p);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return 0;
}
