#!/bin/sh
# The image's command: the compiled service SERVICE names (router, storefront, or a subgraph) on plain node. Arguments pass
# through: `start.sh migrate` is a subgraph's migration job.
set -e
if [ "$SERVICE" = router ]; then exec node router/dist/main.js "$@"; fi
if [ "$SERVICE" = storefront ]; then exec node storefront/dist/main.js "$@"; fi
exec node "subgraphs/$SERVICE/dist/main.js" "$@"
