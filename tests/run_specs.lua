-- Runs busted (Debian's lua-busted) inside fgrun, so specs see the
-- embedded library exactly as scripts do: fgrun tests/run_specs.lua [busted options] [paths]
require("busted.runner")({ standalone = false })
