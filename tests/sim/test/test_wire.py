"""The protocols: requests as botocore makes them are read as the right
service, operation and parameters; errors and answers the simulator makes
are read back by botocore's own parsers as the service's."""
import unittest
import urllib.parse

import botocore.parsers
import botocore.session

import wire


class Captured(Exception):
    pass


def request_of(service, operation, **params):
    """The HTTP request botocore sends for the call, as a wire.Call."""
    client = botocore.session.get_session().create_client(
        service, region_name="us-east-1", endpoint_url="http://127.0.0.1:1",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    seen = {}

    def capture(request, **_):
        seen["r"] = request
        raise Captured()
    client.meta.events.register("before-send", capture)
    try:
        getattr(client, operation)(**params)
    except Captured:
        pass
    r = seen["r"]
    url = urllib.parse.urlsplit(r.url)
    body = r.body if isinstance(r.body, bytes) else (r.body or "").encode()
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in r.headers.items()}
    return wire.Call(r.method, url.path + ("?" + url.query if url.query else ""), headers, body), client


def parse(client, operation_name, answer):
    om = client.meta.service_model.operation_model(operation_name)
    parser = botocore.parsers.create_parser(client.meta.service_model.protocol)
    return parser.parse({"status_code": answer.status, "headers": dict(answer.headers), "body": answer.body},
                        om.output_shape)


class Requests(unittest.TestCase):
    def test_json_protocol(self):
        call, _ = request_of("ecs", "create_service", cluster="c", serviceName="s", desiredCount=2)
        self.assertEqual((call.service, call.operation, call.protocol), ("ecs", "CreateService", "json"))
        self.assertEqual(call.get("desiredCount"), 2)
        self.assertEqual((call.access_key, call.region), ("AKIDEXAMPLE", "us-east-1"))

    def test_query_protocol_lists(self):
        call, _ = request_of("elbv2", "create_load_balancer", Name="lb", Subnets=["subnet-a", "subnet-b"],
                             SecurityGroups=["sg-1"])
        self.assertEqual((call.service, call.operation, call.protocol),
                         ("elasticloadbalancing", "CreateLoadBalancer", "query"))
        self.assertEqual(call.members("Subnets"), ["subnet-a", "subnet-b"])
        self.assertEqual(call.members("SecurityGroups"), ["sg-1"])

    def test_ec2_protocol(self):
        call, _ = request_of("ec2", "authorize_security_group_ingress", GroupId="sg-1", IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}])
        self.assertEqual((call.service, call.operation, call.protocol),
                         ("ec2", "AuthorizeSecurityGroupIngress", "ec2"))
        self.assertEqual(call.get("GroupId"), "sg-1")

    def test_rest_json_by_path(self):
        call, _ = request_of("lambda", "invoke", FunctionName="fn", Qualifier="prod")
        self.assertEqual((call.operation, call.protocol), ("Invoke", "rest-json"))
        self.assertEqual((call.get("FunctionName"), call.get("Qualifier")), ("fn", "prod"))

    def test_rest_xml_by_path_and_query(self):
        call, _ = request_of("route53", "list_resource_record_sets", HostedZoneId="Z123")
        self.assertEqual((call.operation, call.protocol), ("ListResourceRecordSets", "rest-xml"))
        self.assertEqual(call.get("Id"), "Z123")


class Errors(unittest.TestCase):
    def check(self, service, method, operation, **params):
        call, client = request_of(service, method, **params)
        answer = wire.error(call, "SomeCode", "some <message> & more", 400)
        parsed = parse(client, operation, answer)
        self.assertEqual(parsed["Error"]["Code"], "SomeCode")
        self.assertEqual(parsed["Error"]["Message"], "some <message> & more")
        self.assertEqual(answer.error_code(), "SomeCode")

    def test_json(self):
        self.check("ecs", "list_clusters", "ListClusters")

    def test_query(self):
        self.check("iam", "list_roles", "ListRoles")

    def test_ec2(self):
        self.check("ec2", "describe_vpcs", "DescribeVpcs")

    def test_rest_json(self):
        self.check("lambda", "list_functions", "ListFunctions")

    def test_rest_xml(self):
        self.check("route53", "list_hosted_zones", "ListHostedZones")

    def test_modelled_status(self):
        call, _ = request_of("ecs", "list_clusters")
        self.assertEqual(wire.error(call, "AccessDeniedException", "no").status, 400)


class Answers(unittest.TestCase):
    def test_query_answer_reads_as_the_service(self):
        call, client = request_of("iam", "simulate_principal_policy", PolicySourceArn="arn:aws:iam::1:user/u",
                                  ActionNames=["ecs:CreateService"])
        answer = wire.answer(call, {"EvaluationResults": [{"EvalActionName": "a", "EvalDecision": "allowed"}],
                                    "IsTruncated": False})
        parsed = parse(client, "SimulatePrincipalPolicy", answer)
        self.assertEqual(parsed["EvaluationResults"][0]["EvalDecision"], "allowed")
        self.assertIs(parsed["IsTruncated"], False)

    def test_xml_rewrite_keeps_namespace(self):
        call, client = request_of("elbv2", "describe_load_balancers")
        answer = wire.answer(call, {"LoadBalancers": [{"LoadBalancerName": "x", "State": {"Code": "active"}}]})
        root = answer.xml()
        root.find(".//State/Code").text = "provisioning"
        answer.set_xml(root)
        parsed = parse(client, "DescribeLoadBalancers", answer)
        self.assertEqual(parsed["LoadBalancers"][0]["State"]["Code"], "provisioning")
