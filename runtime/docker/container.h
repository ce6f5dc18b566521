/* A container started for a smoke test: userdata fg.docker.Container with
 * :id(), :port(n), :logs(), :stop([seconds]), :remove(); removed by
 * __close and __gc (closing twice is harmless). */
#ifndef FG_DOCKER_CONTAINER_H
#define FG_DOCKER_CONTAINER_H
#include <lua.h>

#define FG_DOCKER_CONTAINER_MT "fg.docker.Container"

/* Adds container(conn, id, ports) to the module table on top of the stack;
 * ports maps "3000/tcp" to the host port. */
void fg_docker_container_open(lua_State *L);

#endif
