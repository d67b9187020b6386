/* SPDX-License-Identifier: MIT */
/*
 * version: `vaultlet-agent --version`. Prints the agent's version, whether
 * libcurl, OpenSSL and cJSON are built into the binary (agent_link=static)
 * or the system's shared libraries (dynamic), and the version of each as
 * the running binary reports it; for a static build also the Debian source
 * package versions it was built from (scripts/agent-deps.sh), which name
 * the security fixes it carries; then libcurl's protocols and features, so
 * a trimmed libcurl can be checked. Output is line-oriented `name: value`
 * for scanners; it has no secret to hide.
 */
#include <stdio.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "agent-link.h"
#include "commands.h"
#include "vaultlet-config.h"

/* What this libcurl can do: a static build should list http https only. */
static void version_curl_lists(const curl_version_info_data *cv)
{
	fputs("libcurl protocols:", stdout);
	for (const char *const *p = cv->protocols; p && *p; p++)
		printf(" %s", *p);
	fputs("\nlibcurl features:", stdout);
#if LIBCURL_VERSION_NUM >= 0x075700 /* feature_names: 7.87.0 */
	if (cv->age >= CURLVERSION_ELEVENTH)
		for (const char *const *f = cv->feature_names; f && *f; f++)
			printf(" %s", *f);
#endif
	fputs("\n", stdout);
}

int cmd_version(void)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("vaultlet-agent %s\n", VAULTLET_VERSION);
#if AGENT_LINK_STATIC
	printf("linking: static (libcurl, OpenSSL and cJSON built in; glibc shared)\n");
	printf("libcurl: %s (%s; Debian source curl %s)\n", cv->version,
	       cv->ssl_version ? cv->ssl_version : "no TLS", AGENT_DEB_CURL);
	printf("OpenSSL: %s (Debian libssl-dev %s)\n", OpenSSL_version(OPENSSL_VERSION),
	       AGENT_DEB_OPENSSL);
	printf("cJSON: %s (Debian source cjson %s)\n", cJSON_Version(), AGENT_DEB_CJSON);
#else
	printf("linking: dynamic (the system's shared libcurl, OpenSSL and cJSON)\n");
	printf("libcurl: %s (%s)\n", cv->version, cv->ssl_version ? cv->ssl_version : "no TLS");
	printf("OpenSSL: %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("cJSON: %s\n", cJSON_Version());
#endif
	version_curl_lists(cv);
	return 0;
}
