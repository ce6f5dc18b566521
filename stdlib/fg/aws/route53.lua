-- Route 53 for the resource types: the public hosted zone that holds a
-- domain (checked before anything is made), record sets looked up, written
-- and removed. Used by fg.aws.dns_record and fg.aws.acm_certificate.
--
--   route53.zone_for("app.example.com", zone?) -> { id = "Z...", name = "example.com" }, or raises
--   route53.record(zone_id, name, type) -> the record set as Route 53 answers it, or nil
--   route53.upsert(zone_id, set)            set in Route 53's shape (Name, Type, TTL, ResourceRecords | AliasTarget)
--   route53.removal(zone_id, set) -> the undo action that deletes it
local aws = require "aws"
local lookup = require("fg.lookup").call

local route53 = {}

-- A DNS name as compared here: lower case, no final dot, "*" for Route 53's \052.
function route53.name(n)
  return (tostring(n):lower():gsub("\\052", "*"):gsub("%.$", ""))
end

-- "/hostedzone/Z123" -> "Z123"
function route53.zone_id(id)
  return (tostring(id):gsub("^/hostedzone/", ""))
end

local function in_zone(domain, zone)
  return domain == zone or domain:sub(-(#zone + 1)) == "." .. zone
end

local function by_name(name)
  local r = aws.route53.list_hosted_zones_by_name{ DNSName = name, MaxItems = "10" }
  for _, z in ipairs(r.HostedZones or {}) do
    if route53.name(z.Name) == name and not (z.Config and z.Config.PrivateZone) then
      return { id = route53.zone_id(z.Id), name = name }
    end
  end
end

-- The public hosted zone for domain: the one given (an id such as
-- Z0123456789ABC, upper case, or a zone name), else the longest zone name that holds
-- the domain. Raises a message naming what is wrong: a zone that does not
-- exist, a private one, a domain outside it.
function route53.zone_for(domain, given)
  domain = route53.name(domain)
  local zone
  local id = given and (given:match("^/hostedzone/([%u%d]+)$") or given:match("^([%u%d]+)$"))
  if id then
    local r = lookup(aws.route53.get_hosted_zone, { Id = id }, { "NoSuchHostedZone" })
    if not r then error(("hosted_zone %s: no such hosted zone in this account"):format(given), 0) end
    if r.HostedZone.Config and r.HostedZone.Config.PrivateZone then
      error(("hosted_zone %s is a private zone; ACM validates through public DNS"):format(given), 0)
    end
    zone = { id = route53.zone_id(r.HostedZone.Id), name = route53.name(r.HostedZone.Name) }
  elseif given then
    zone = by_name(route53.name(given))
    if not zone then error(("hosted_zone %s: no public hosted zone of that name in this account"):format(given), 0) end
  else
    local labels = {}
    for label in domain:gmatch("[^.]+") do labels[#labels + 1] = label end
    for i = 1, #labels - 1 do
      zone = by_name(table.concat(labels, ".", i))
      if zone then break end
    end
    if not zone then
      error(("domain %s: no public hosted zone in this account holds it (give hosted_zone, or create the zone)")
        :format(domain), 0)
    end
  end
  if not in_zone(domain, zone.name) then
    error(("domain %s is not in hosted zone %s (%s)"):format(domain, zone.name, zone.id), 0)
  end
  return zone
end

function route53.record(zone_id, name, type)
  name = route53.name(name)
  local r = lookup(aws.route53.list_resource_record_sets,
    { HostedZoneId = zone_id, StartRecordName = name, StartRecordType = type, MaxItems = "10" }, { "NoSuchHostedZone" })
  for _, set in ipairs(r and r.ResourceRecordSets or {}) do
    if route53.name(set.Name) == name and set.Type == type then return set end
  end
end

function route53.upsert(zone_id, set)
  aws.route53.change_resource_record_sets{ HostedZoneId = zone_id,
    ChangeBatch = { Changes = { { Action = "UPSERT", ResourceRecordSet = set } } } }
end

-- Route 53 deletes a record set only when given all of it, exactly; a set
-- that is gone, or that now holds other values (written since by another
-- step), answers InvalidChangeBatch: either way none of ours is left.
function route53.removal(zone_id, set)
  return { call = "route53.change_resource_record_sets", gone = { "InvalidChangeBatch" },
           params = { HostedZoneId = zone_id, ChangeBatch = { Changes = { { Action = "DELETE", ResourceRecordSet = set } } } } }
end

return route53
