-- Lua style, checked by make lint (luacheck, Debian's lua-check): no
-- globals, nothing unused or shadowed, lines up to 150 columns (the tree's
-- habit). A method keeps its implicit self even when it does not use it.
std = "lua54"
max_line_length = 150
self = false
-- fgrun's own scripts run inside fgrun: arg is the script's arguments.
read_globals = { "arg" }
files["tests/spec"] = { std = "+busted" }
files["tests/run_specs.lua"] = { std = "+busted" }
