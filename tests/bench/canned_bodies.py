"""Writes the canned answers the per-call and cold-start benchmarks serve:
an ECS DescribeServices JSON answer (one service, 3 deployments, 50
events), an EC2 DescribeSubnets XML answer with 50 subnets, and an STS
GetCallerIdentity XML answer.

    python3 tests/bench/canned_bodies.py OUTDIR
"""
import json
import os
import sys

ACCOUNT = "123456789012"
CLUSTER = f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/bench"
T0 = 1764100000.0


def ecs_describe_services():
    deployments = [
        {
            "id": f"ecs-svc/{i:019d}",
            "status": "PRIMARY" if i == 0 else "ACTIVE",
            "taskDefinition": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/bench:{3 - i}",
            "desiredCount": 3, "pendingCount": 0, "runningCount": 3 if i == 0 else 0,
            "failedTasks": 0, "createdAt": T0 + i, "updatedAt": T0 + 60 + i,
            "launchType": "FARGATE", "platformVersion": "1.4.0", "platformFamily": "Linux",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
                "securityGroups": ["sg-0a1b2c3d4e5f60001"], "assignPublicIp": "ENABLED"}},
            "rolloutState": "COMPLETED" if i == 0 else "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment completed.",
        }
        for i in range(3)
    ]
    events = [
        {"id": f"{i:08x}-0000-0000-0000-000000000000", "createdAt": T0 + 600 - i,
         "message": f"(service bench) has reached a steady state. ({i})"}
        for i in range(50)
    ]
    service = {
        "serviceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/bench/bench",
        "serviceName": "bench", "clusterArn": CLUSTER,
        "loadBalancers": [{"targetGroupArn": f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/bench/0123456789abcdef",
                           "containerName": "app", "containerPort": 3000}],
        "serviceRegistries": [], "status": "ACTIVE", "desiredCount": 3, "runningCount": 3,
        "pendingCount": 0, "launchType": "FARGATE", "platformVersion": "LATEST",
        "platformFamily": "Linux",
        "taskDefinition": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/bench:3",
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                    "maximumPercent": 200, "minimumHealthyPercent": 50},
        "deployments": deployments, "roleArn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
        "events": events, "createdAt": T0, "placementConstraints": [], "placementStrategy": [],
        "networkConfiguration": deployments[0]["networkConfiguration"],
        "healthCheckGracePeriodSeconds": 120, "schedulingStrategy": "REPLICA",
        "createdBy": f"arn:aws:iam::{ACCOUNT}:user/bench", "enableECSManagedTags": False,
        "propagateTags": "NONE", "enableExecuteCommand": True,
    }
    return json.dumps({"services": [service], "failures": []})


def ec2_describe_subnets():
    subnets = []
    for i in range(50):
        az = "us-east-1" + "abcdef"[i % 6]
        subnets.append(f"""        <item>
            <subnetId>subnet-0a1b2c3d4e5f6{i:04d}</subnetId>
            <subnetArn>arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/subnet-0a1b2c3d4e5f6{i:04d}</subnetArn>
            <state>available</state>
            <ownerId>{ACCOUNT}</ownerId>
            <vpcId>vpc-0a1b2c3d4e5f60001</vpcId>
            <cidrBlock>10.0.{i}.0/24</cidrBlock>
            <ipv6CidrBlockAssociationSet/>
            <availableIpAddressCount>251</availableIpAddressCount>
            <availabilityZone>{az}</availabilityZone>
            <availabilityZoneId>use1-az{i % 6 + 1}</availabilityZoneId>
            <defaultForAz>{"true" if i < 6 else "false"}</defaultForAz>
            <mapPublicIpOnLaunch>true</mapPublicIpOnLaunch>
            <assignIpv6AddressOnCreation>false</assignIpv6AddressOnCreation>
            <tagSet>
                <item><key>Name</key><value>bench-{i}</value></item>
                <item><key>tier</key><value>{"public" if i % 2 else "private"}</value></item>
            </tagSet>
            <privateDnsNameOptionsOnLaunch>
                <hostnameType>ip-name</hostnameType>
                <enableResourceNameDnsARecord>false</enableResourceNameDnsARecord>
                <enableResourceNameDnsAAAARecord>false</enableResourceNameDnsAAAARecord>
            </privateDnsNameOptionsOnLaunch>
        </item>
""")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">\n'
            '    <requestId>00000000-0000-0000-0000-000000000000</requestId>\n'
            '    <subnetSet>\n' + "".join(subnets) + '    </subnetSet>\n</DescribeSubnetsResponse>\n')


def sts_get_caller_identity():
    return f"""<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::{ACCOUNT}:user/bench</Arn>
    <UserId>AIDAEXAMPLEBENCH00001</UserId>
    <Account>{ACCOUNT}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>
"""


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, body in (("ecs_describe_services.json", ecs_describe_services()),
                       ("ec2_describe_subnets.xml", ec2_describe_subnets()),
                       ("sts_get_caller_identity.xml", sts_get_caller_identity())):
        with open(os.path.join(out, name), "w") as f:
            f.write(body)


if __name__ == "__main__":
    main()
