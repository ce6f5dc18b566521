/* The sample service's name and version, as reported by --version,
 * the Server header and the "server" field of GET /. */
#ifndef APP_VERSION_H
#define APP_VERSION_H

#define APP_NAME "fgrun-demo-app"
#define APP_VERSION "1.0.0"

#endif
