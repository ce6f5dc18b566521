-- require "fgrun": the public name of core.host (runtime/core/host.c), the
-- host's settings and system services, which recipes use.
return require "core.host"
