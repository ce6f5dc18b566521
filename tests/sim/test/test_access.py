"""Issue 21: AccessDenied for a permission the test removed, in each
service's own format; the permissions a call implies (iam:PassRole, tagging
on create); IAM's policy simulator answering from the same deny list; and
Application Auto Scaling's service-linked role."""
from base import SimCase


class Deny(SimCase):
    behaviours = ["iam.deny"]

    def test_json_service(self):
        self.sim.configure(deny=["ecs:CreateCluster"])
        ecs = self.c("ecs")
        code, message, status = self.error(ecs.create_cluster, clusterName=self.n("c"))
        self.assertEqual((code, status), ("AccessDeniedException", 400))
        self.assertIn("is not authorized to perform: ecs:CreateCluster", message)
        self.assertIn("arn:aws:", message)
        ecs.list_clusters()             # what is not denied still works

    def test_ec2_format(self):
        self.sim.configure(deny=["ec2:Describe*"])
        code, message, status = self.error(self.c("ec2").describe_vpcs)
        self.assertEqual((code, status), ("UnauthorizedOperation", 403))
        self.assertIn("ec2:DescribeVpcs", message)

    def test_query_format(self):
        self.sim.configure(deny=["iam:CreateRole"])
        code, _, status = self.error(self.c("iam").create_role, RoleName=self.n("r"), AssumeRolePolicyDocument="{}")
        self.assertEqual((code, status), ("AccessDenied", 403))

    def test_pass_role_at_register_task_definition(self):
        self.sim.configure(deny=["iam:PassRole"])
        role = "arn:aws:iam::123456789012:role/%s" % self.n("exec")
        ecs = self.c("ecs")
        code, message, _ = self.error(ecs.register_task_definition, family=self.n("f"), executionRoleArn=role,
                                      containerDefinitions=[{"name": "a", "image": "nginx", "memory": 512}])
        self.assertEqual(code, "AccessDeniedException")
        self.assertIn("iam:PassRole on resource: %s" % role, message)
        ecs.register_task_definition(family=self.n("f"), containerDefinitions=[{"name": "a", "image": "nginx", "memory": 512}])

    def test_tagging_on_create(self):
        self.sim.configure(deny=["ecs:TagResource", "elasticloadbalancing:AddTags", "ec2:CreateTags"])
        ecs, ec2 = self.c("ecs"), self.c("ec2")
        code, message, _ = self.error(ecs.create_cluster, clusterName=self.n("c"), tags=[{"key": "a", "value": "b"}])
        self.assertIn("ecs:TagResource", message)
        ecs.create_cluster(clusterName=self.n("c"))
        vpc, _ = self.network()
        code, message, _ = self.error(ec2.create_security_group, GroupName=self.n("g"), Description="d", VpcId=vpc,
                                      TagSpecifications=[{"ResourceType": "security-group",
                                                          "Tags": [{"Key": "a", "Value": "b"}]}])
        self.assertEqual(code, "UnauthorizedOperation")
        self.assertIn("ec2:CreateTags", message)


class Simulator(SimCase):
    behaviours = ["iam.simulate"]

    def test_answers_from_the_deny_list(self):
        self.sim.configure(deny=["iam:PassRole", "secretsmanager:*"])
        got = self.c("iam").simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::123456789012:user/moto",
            ActionNames=["iam:PassRole", "ecs:CreateService", "secretsmanager:GetRandomPassword"])
        self.assertEqual([(r["EvalActionName"], r["EvalDecision"]) for r in got["EvaluationResults"]],
                         [("iam:PassRole", "implicitDeny"), ("ecs:CreateService", "allowed"),
                          ("secretsmanager:GetRandomPassword", "implicitDeny")])

    def test_the_simulator_itself_can_be_denied(self):
        self.sim.configure(on=["iam.deny"], deny=["iam:SimulatePrincipalPolicy"])
        code, _, _ = self.error(self.c("iam").simulate_principal_policy,
                                PolicySourceArn="arn:aws:iam::123456789012:user/moto", ActionNames=["ecs:ListClusters"])
        self.assertEqual(code, "AccessDenied")


class ScalingServiceLinkedRole(SimCase):
    behaviours = ["iam.deny", "autoscaling.slr"]
    fresh_account = True

    def register(self):
        if not hasattr(self, "resource"):
            cluster, arn = self.service(desired=1)
            self.resource = "service/%s/%s" % (cluster, arn.rsplit("/", 1)[-1])
        return self.c("application-autoscaling").register_scalable_target(
            ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount",
            ResourceId=self.resource, MinCapacity=1, MaxCapacity=2)

    def test_first_registration_needs_create_service_linked_role(self):
        self.sim.configure(deny=["iam:CreateServiceLinkedRole"])
        code, message, _ = self.error(self.register)
        self.assertEqual(code, "AccessDeniedException")
        self.assertIn("iam:CreateServiceLinkedRole", message)
        self.sim.configure(deny=[])
        self.register()
        roles = self.c("iam").list_roles(PathPrefix="/aws-service-role/ecs.application-autoscaling.amazonaws.com/")
        self.assertEqual(len(roles["Roles"]), 1)
        self.sim.configure(deny=["iam:CreateServiceLinkedRole"])
        self.register()                 # the role exists now: no permission needed
