-- aws.xml: expat into Lua trees, any bytes.
local xml = require "aws.xml"
return function(s) xml.parse(s) end
