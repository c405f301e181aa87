/** The program's version, shown by `shm version` and in the start-up line. */
export const VERSION = "0.1.0";
