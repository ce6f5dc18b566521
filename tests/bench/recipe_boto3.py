"""bench-helper (run by recipe_bench.sh against moto and by timing_bench.sh
against the AWS simulator; not by itself).
The calls of recipe_cli.sh, in the same order, from one boto3 process:
the original recipe's AWS work as a Python user would write it. The
endpoint comes from AWS_ENDPOINT_URL.

    recipe_boto3.py [deploy|update|destroy]    (no argument: all of it)

Phases keep what they share in BOTO_STATE (JSON); `update` registers the
task definition again for BOTO_IMAGE and points the service at it. With
WAITER_SCALE set, the script waits as a sequential boto3 script does, with
botocore's waiters (each waiter's delay multiplied by WAITER_SCALE, the
simulator's scale): each security group existing after its creation, the
load balancer available after its creation, the
service stable after its creation and update, inactive after its deletion,
the load balancers deleted before the security groups; what no waiter
covers (a new group's rules refused for a moment, a group still in use) is
retried at a waiter's pace.
"""
import json
import os
import sys
import time

import boto3
from botocore.exceptions import ClientError

session = boto3.Session(region_name=os.environ.get("AWS_REGION", "us-east-1"))
clients = {}


def aws(service):
    if service not in clients:
        clients[service] = session.client(service)
    return clients[service]


TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
TASK_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData"],
    "Resource": "*"}]})
EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
SCALE = os.environ.get("WAITER_SCALE")


def wait(client, name, **params):
    """botocore's waiter `name`, its delay scaled; nothing without WAITER_SCALE."""
    if SCALE is None:
        return
    w = client.get_waiter(name)
    w.wait(WaiterConfig={"Delay": w.config.delay * float(SCALE), "MaxAttempts": w.config.max_attempts},
           **params)


def retrying(code, fn, **params):
    """fn(**params), retried while it answers `code` (no waiter exists for
    it: a new group unknown to its rule calls, a group still in use) at EC2's
    waiters' pace (15 s); once without WAITER_SCALE."""
    for _ in range(40):
        try:
            return fn(**params)
        except ClientError as e:
            if SCALE is None or e.response["Error"]["Code"] != code:
                raise
            time.sleep(15 * float(SCALE))
    return fn(**params)


def register_task_definition(ecs, s, image):
    ecs.register_task_definition(
        family=s["family"], networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512", executionRoleArn=s["exec_role_arn"], taskRoleArn=s["task_role_arn"],
        containerDefinitions=[{
            "name": "fargate-demo-container", "image": image,
            "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
            "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": s["log_group"], "awslogs-region": s["region"],
                "awslogs-stream-prefix": "ecs"}},
            "environment": [{"name": "NODE_ENV", "value": "production"},
                            {"name": "PORT", "value": "3000"}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"],
                            "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}}])


def deploy():
    region = session.region_name
    ec2, ecs, elbv2, iam = aws("ec2"), aws("ecs"), aws("elbv2"), aws("iam")
    scaling, logs, ecr = aws("application-autoscaling"), aws("logs"), aws("ecr")

    # Preparation
    account = aws("sts").get_caller_identity()["Account"]
    suffix = aws("secretsmanager").get_random_password(
        ExcludePunctuation=True, ExcludeUppercase=True, PasswordLength=6,
        RequireEachIncludedType=True)["RandomPassword"]
    cluster, service = f"fargate-cluster-{suffix}", f"fargate-service-{suffix}"
    family, repo = f"fargate-task-{suffix}", f"fargate-demo-{suffix}"
    alb_name, sg_name = f"fargate-alb-{suffix}", f"fargate-sg-{suffix}"
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[
        {"Name": "vpc-id", "Values": [vpc]},
        {"Name": "default-for-az", "Values": ["true"]}])["Subnets"]]

    # 1. ECR repository
    ecr.create_repository(repositoryName=repo,
                          imageScanningConfiguration={"scanOnPush": True},
                          encryptionConfiguration={"encryptionType": "AES256"})
    ecr_uri = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]

    # 4. Security groups
    alb_sg = ec2.create_security_group(GroupName=f"{alb_name}-sg", VpcId=vpc,
                                       Description="Security group for Fargate ALB")["GroupId"]
    wait(ec2, "security_group_exists", GroupIds=[alb_sg])
    for port in (80, 443):
        retrying("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=alb_sg,
                 IpProtocol="tcp", FromPort=port, ToPort=port, CidrIp="0.0.0.0/0")
    task_sg = ec2.create_security_group(GroupName=sg_name, VpcId=vpc,
                                        Description="Security group for Fargate tasks")["GroupId"]
    wait(ec2, "security_group_exists", GroupIds=[task_sg])
    retrying("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=task_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
        "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    for port in (443, 80):
        retrying("InvalidGroup.NotFound", ec2.authorize_security_group_egress, GroupId=task_sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    # 5. IAM roles
    exec_role, task_role = f"ecsTaskExecutionRole-{suffix}", f"ecsTaskRole-{suffix}"
    iam.create_role(RoleName=exec_role, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=exec_role, PolicyArn=EXEC_POLICY)
    iam.create_role(RoleName=task_role, AssumeRolePolicyDocument=TRUST)
    iam.create_policy(PolicyName=f"{task_role}-Policy", PolicyDocument=TASK_POLICY)
    policy_arn = next(iter(iam.get_paginator("list_policies").paginate().search(
        f"Policies[?PolicyName=='{task_role}-Policy'].Arn")))
    iam.attach_role_policy(RoleName=task_role, PolicyArn=policy_arn)
    exec_role_arn = iam.get_role(RoleName=exec_role)["Role"]["Arn"]
    task_role_arn = iam.get_role(RoleName=task_role)["Role"]["Arn"]

    # 6. Cluster, log group, task definition
    ecs.create_cluster(clusterName=cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"],
                       defaultCapacityProviderStrategy=[
                           {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
                           {"capacityProvider": "FARGATE_SPOT", "weight": 4}])
    log_group = f"/ecs/{family}"
    logs.create_log_group(logGroupName=log_group)
    logs.put_retention_policy(logGroupName=log_group, retentionInDays=7)
    s = {"region": region, "account": account, "suffix": suffix, "cluster": cluster, "service": service,
         "family": family, "repo": repo, "log_group": log_group, "alb_sg": alb_sg, "task_sg": task_sg,
         "exec_role": exec_role, "task_role": task_role, "policy_arn": policy_arn,
         "exec_role_arn": exec_role_arn, "task_role_arn": task_role_arn}
    register_task_definition(ecs, s, f"{ecr_uri}:latest")

    # 7. Load balancer, target group, listener
    alb_arn = elbv2.create_load_balancer(
        Name=alb_name, Subnets=subnets, SecurityGroups=[alb_sg], Scheme="internet-facing",
        Type="application", IpAddressType="ipv4")["LoadBalancers"][0]["LoadBalancerArn"]
    wait(elbv2, "load_balancer_available", LoadBalancerArns=[alb_arn])
    alb_dns = elbv2.describe_load_balancers(LoadBalancerArns=[alb_arn])["LoadBalancers"][0]["DNSName"]
    tg_arn = elbv2.create_target_group(
        Name=f"fargate-tg-{suffix}", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip",
        HealthCheckEnabled=True, HealthCheckPath="/health", HealthCheckIntervalSeconds=30,
        HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2, UnhealthyThresholdCount=3,
        Matcher={"HttpCode": "200"})["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(LoadBalancerArn=alb_arn, Protocol="HTTP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    print("ALB DNS:", alb_dns)

    # 8. Service
    ecs.create_service(
        serviceName=service, cluster=cluster, taskDefinition=family, desiredCount=3,
        launchType="FARGATE", platformVersion="LATEST",
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": subnets, "securityGroups": [task_sg], "assignPublicIp": "ENABLED"}},
        loadBalancers=[{"targetGroupArn": tg_arn, "containerName": "fargate-demo-container",
                        "containerPort": 3000}],
        healthCheckGracePeriodSeconds=120,
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 50,
                                 "deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        enableExecuteCommand=True)
    wait(ecs, "services_stable", cluster=cluster, services=[service])

    # 9. Auto scaling
    target = {"ServiceNamespace": "ecs", "ResourceId": f"service/{cluster}/{service}",
              "ScalableDimension": "ecs:service:DesiredCount"}
    scaling.register_scalable_target(MinCapacity=2, MaxCapacity=10, **target)
    for kind, value, metric in (("cpu", 70.0, "ECSServiceAverageCPUUtilization"),
                                ("memory", 80.0, "ECSServiceAverageMemoryUtilization")):
        arn = scaling.put_scaling_policy(
            PolicyName=f"{service}-{kind}-scaling", PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": value,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                "ScaleOutCooldown": 300, "ScaleInCooldown": 300}, **target)["PolicyARN"]
        print("scaling:", arn)
    s.update(alb_arn=alb_arn, tg_arn=tg_arn)
    validate(s)
    return s


def validate(s):
    """The validation's AWS calls."""
    ecs, elbv2, logs = aws("ecs"), aws("elbv2"), aws("logs")
    cluster, service, tg_arn, log_group = s["cluster"], s["service"], s["tg_arn"], s["log_group"]
    svc = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    print(svc["serviceName"], svc["status"], svc["runningCount"], svc["pendingCount"], svc["desiredCount"])
    print(ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"])
    tasks = ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"]
    if tasks:
        for t in ecs.describe_tasks(cluster=cluster, tasks=tasks)["tasks"]:
            print(t["taskArn"], t.get("lastStatus"), t.get("healthStatus"), t.get("cpu"), t.get("memory"))
    for h in elbv2.describe_target_health(TargetGroupArn=tg_arn)["TargetHealthDescriptions"]:
        print(h["Target"]["Id"], h["TargetHealth"]["State"])
    for e in ecs.describe_services(cluster=cluster, services=[service])["services"][0]["events"][0:5]:
        print(e["createdAt"], e["message"])
    print(logs.describe_log_streams(logGroupName=log_group)["logStreams"][0:3])
    streams = logs.describe_log_streams(logGroupName=log_group, orderBy="LastEventTime",
                                        descending=True, limit=1)["logStreams"]
    if streams:
        logs.get_log_events(logGroupName=log_group, logStreamName=streams[0]["logStreamName"], limit=5)


def update(s, image):
    ecs = aws("ecs")
    register_task_definition(ecs, s, image)
    ecs.update_service(cluster=s["cluster"], service=s["service"], taskDefinition=s["family"])
    wait(ecs, "services_stable", cluster=s["cluster"], services=[s["service"]])
    validate(s)


def destroy(s):
    ec2, ecs, elbv2, iam = aws("ec2"), aws("ecs"), aws("elbv2"), aws("iam")
    scaling, logs, ecr = aws("application-autoscaling"), aws("logs"), aws("ecr")
    cluster, service, family, repo = s["cluster"], s["service"], s["family"], s["repo"]
    alb_arn, tg_arn, log_group = s["alb_arn"], s["tg_arn"], s["log_group"]
    alb_sg, task_sg, policy_arn = s["alb_sg"], s["task_sg"], s["policy_arn"]
    exec_role, task_role = s["exec_role"], s["task_role"]
    target = {"ServiceNamespace": "ecs", "ResourceId": f"service/{cluster}/{service}",
              "ScalableDimension": "ecs:service:DesiredCount"}
    ecs.update_service(cluster=cluster, service=service, desiredCount=0)
    ecs.delete_service(cluster=cluster, service=service, force=True)
    wait(ecs, "services_inactive", cluster=cluster, services=[service])
    ecs.delete_cluster(cluster=cluster)
    listener = elbv2.describe_listeners(LoadBalancerArn=alb_arn)["Listeners"][0]["ListenerArn"]
    elbv2.delete_listener(ListenerArn=listener)
    elbv2.delete_target_group(TargetGroupArn=tg_arn)
    elbv2.delete_load_balancer(LoadBalancerArn=alb_arn)
    wait(elbv2, "load_balancers_deleted", LoadBalancerArns=[alb_arn])
    for kind in ("cpu", "memory"):
        scaling.delete_scaling_policy(PolicyName=f"{service}-{kind}-scaling", **target)
    scaling.deregister_scalable_target(**target)
    ecs.deregister_task_definition(taskDefinition=f"{family}:1")
    logs.delete_log_group(logGroupName=log_group)
    retrying("DependencyViolation", ec2.delete_security_group, GroupId=task_sg)
    retrying("DependencyViolation", ec2.delete_security_group, GroupId=alb_sg)
    iam.detach_role_policy(RoleName=exec_role, PolicyArn=EXEC_POLICY)
    iam.detach_role_policy(RoleName=task_role, PolicyArn=policy_arn)
    iam.delete_policy(PolicyArn=policy_arn)
    iam.delete_role(RoleName=exec_role)
    iam.delete_role(RoleName=task_role)
    ecr.delete_repository(repositoryName=repo, force=True)
    print("account", s["account"], "suffix", s["suffix"])


def main():
    phase = sys.argv[1] if len(sys.argv) > 1 else "all"
    if phase == "all":
        destroy(deploy())
    elif phase == "deploy":
        s = deploy()
        with open(os.environ["BOTO_STATE"], "w") as f:
            json.dump(s, f)
    else:
        with open(os.environ["BOTO_STATE"]) as f:
            s = json.load(f)
        if phase == "update":
            update(s, os.environ["BOTO_IMAGE"])
        else:
            destroy(s)


if __name__ == "__main__":
    main()
