/* `isactb run` of a `scene: highway` experiment, and `isactb bench comm`
 * (host/cli/cmd_highway.c; docs/cli.md). */
#ifndef ISACTB_CLI_CMD_HIGHWAY_H
#define ISACTB_CLI_CMD_HIGHWAY_H

/* argv as `isactb run` got it (argv[0] = "run"); the config declares scene: highway. */
int cmd_run_highway(int argc, char **argv);
/* argv as `isactb replay` got it; the capture directory holds highway.sigmf-meta. */
int cmd_replay_highway(int argc, char **argv);
/* argv[0] = "comm". */
int bench_comm(int argc, char **argv);

#endif
