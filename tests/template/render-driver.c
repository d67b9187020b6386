/* SPDX-License-Identifier: MIT */
/*
 * render-driver: `render-driver render ARGS...` runs cmd_render() exactly
 * as `vaultlet-agent render ARGS...` does (its argv[0] is the subcommand
 * name), for tests that must not depend on the rest of the agent.
 */
#include "commands.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	return cmd_render(argc - 1, argv + 1);
}
