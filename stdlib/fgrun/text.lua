-- require "fgrun.text": the public name of base.escape (runtime/base/escape.c),
-- the escaping of network text for the terminal, which recipes use.
return require "base.escape"
