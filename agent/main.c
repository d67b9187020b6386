/* SPDX-License-Identifier: MIT */
/*
 * vaultlet-agent: dispatches to the subcommands (commands.h). With no
 * subcommand, or `run`, it runs the agent (init or sidecar, by the
 * config's exit_after_auth); `render` evaluates a template offline;
 * `status` shows what the running agent rendered.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "vaultlet-config.h"

static void main_usage(FILE *f)
{
	fputs("usage: vaultlet-agent [run] [-config FILE]\n"
	      "       vaultlet-agent render -secrets FILE [-error-on-missing-key] TEMPLATE_FILE\n"
	      "       vaultlet-agent status [-json | -ready] [-file PATH]\n"
	      "       vaultlet-agent --version | --help\n"
	      "\n"
	      "run     log in to Vault with the pod's service-account token and render the\n"
	      "        templates of the Vault Agent config (VAULT_CONFIG, base64, or -config);\n"
	      "        exit after the first render when exit_after_auth is true (init\n"
	      "        container), else keep the files fresh and the leases renewed (sidecar)\n"
	      "render  evaluate a template offline against secrets from a JSON file\n"
	      "status  show what was rendered, when, from which secret version or lease,\n"
	      "        last error\n"
	      "--version  the agent's version, and the libcurl, OpenSSL and cJSON versions it\n"
	      "        runs with, built in (static) or shared (dynamic)\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc >= 2) {
		const char *c = argv[1];

		if (strcmp(c, "run") == 0)
			return cmd_run(argc - 1, argv + 1);
		if (strcmp(c, "render") == 0)
			return cmd_render(argc - 1, argv + 1);
		if (strcmp(c, "status") == 0)
			return cmd_status(argc - 1, argv + 1);
		if (strcmp(c, "--version") == 0 || strcmp(c, "-version") == 0 ||
		    strcmp(c, "version") == 0) {
			return cmd_version();
		}
		if (strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0 || strcmp(c, "-help") == 0 ||
		    strcmp(c, "help") == 0) {
			main_usage(stdout);
			return 0;
		}
	}
	return cmd_run(argc, argv);
}
