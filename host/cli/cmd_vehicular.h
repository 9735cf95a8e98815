/* Seed 000's vehicular commands (host/cli/bench_vehicular.c; docs/vehicular.md). */
#ifndef ISACTB_CLI_CMD_VEHICULAR_H
#define ISACTB_CLI_CMD_VEHICULAR_H

/* argv[0] = "vehicular": `isactb vehicular teacher ...`. */
int cmd_vehicular(int argc, char **argv);
/* argv[0] = "vehicular": `isactb bench vehicular`. */
int bench_vehicular(int argc, char **argv);

#endif
