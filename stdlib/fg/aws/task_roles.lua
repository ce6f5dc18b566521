-- The two roles of an ECS task as a service usually needs them, made of
-- resource steps (res.task_roles{...} of fg.aws.use):
--   execution: ECS pulls the image and writes logs with it; it may read
--     exactly the given secrets (through each secret's own ARN) and decrypt
--     them with their customer managed keys
--   task: the application's own calls; no policy unless task_permissions
--     asks (scoped to ARNs), plus ECS Exec's channels when exec is on
-- Both trust ECS tasks only on behalf of this account (aws:SourceAccount,
-- aws:SourceArn), with ARNs in the caller's partition.
--   local roles = res.task_roles{ execution_name =, task_name =, secrets =, task_permissions =, exec =,
--                                 policy_name = "app", region = <the run's> }
--   roles.execution.arn, roles.task.arn
local account = require "fg.account"
local secrets = require "fg.aws.secrets"

-- ssmmessages actions take no resource ("Using ECS Exec", IAM permissions)
local EXEC = { "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
               "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel" }

return function(d, res, o)
  local me = not d.destroying and account.caller() or nil
  local function role(step, name)
    return res.iam_role(step, { name = name, service = "ecs-tasks.amazonaws.com", source_account = me and me.account,
      source_arn = me and account.arn{ service = "ecs", region = o.region or account.region(), resource = "*" } })
  end
  local execution = role("execution_role", o.execution_name)
  res.role_policy_attachment("execution_role_policy", { role = execution.name,
    policy_arn = account.arn{ service = "iam", account = "aws", resource = "policy/service-role/AmazonECSTaskExecutionRolePolicy" } })
  if o.secrets and not d.destroying then
    local found = secrets.resolve(o.secrets)
    local statements = { { actions = { "secretsmanager:GetSecretValue" }, resources = found.arns } }
    if #found.kms_keys > 0 then statements[2] = { actions = { "kms:Decrypt" }, resources = found.kms_keys } end
    res.role_policy("execution_role_secrets", { role = execution.name, name = "read-secrets", statements = statements })
  end
  local task = role("task_role", o.task_name)
  if o.task_permissions then
    res.role_policy("task_role_policy", { role = task.name, name = o.policy_name or "app", statements = o.task_permissions })
  end
  if o.exec then
    res.role_policy("task_role_exec", { role = task.name, name = "ecs-exec",
      statements = { { actions = EXEC, resources = { "*" } } } })
  end
  return { execution = execution, task = task }
end
