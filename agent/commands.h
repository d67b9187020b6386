/* SPDX-License-Identifier: MIT */
/*
 * The subcommands of vaultlet-agent, one file each (cmd_<name>.c). Each
 * takes the arguments after the subcommand name (argv[0] is the name) and
 * returns the process exit status. main.c only dispatches.
 */
#ifndef VAULTLET_AGENT_COMMANDS_H
#define VAULTLET_AGENT_COMMANDS_H

/* vaultlet-agent [run] [-config FILE]: init or sidecar, by exit_after_auth. */
int cmd_run(int argc, char **argv);
/* vaultlet-agent render -secrets FILE [-error-on-missing-key] TEMPLATE_FILE */
int cmd_render(int argc, char **argv);
/* vaultlet-agent status: what was rendered, when, from which version. */
int cmd_status(int argc, char **argv);
/* vaultlet-agent --version: its version and its libraries' (version.c). */
int cmd_version(void);

#endif
