"""bench-helper (run by recipe_bench.sh against moto, not by itself).
The calls of recipe_cli.sh, in the same order, from one boto3 process:
the original recipe's AWS work as a Python user would write it. The
endpoint comes from AWS_ENDPOINT_URL."""
import json
import os

import boto3

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


def main():
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
    for port in (80, 443):
        ec2.authorize_security_group_ingress(GroupId=alb_sg, IpProtocol="tcp", FromPort=port,
                                             ToPort=port, CidrIp="0.0.0.0/0")
    task_sg = ec2.create_security_group(GroupName=sg_name, VpcId=vpc,
                                        Description="Security group for Fargate tasks")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=task_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000,
        "UserIdGroupPairs": [{"GroupId": alb_sg}]}])
    for port in (443, 80):
        ec2.authorize_security_group_egress(GroupId=task_sg, IpPermissions=[{
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
    ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu="256", memory="512", executionRoleArn=exec_role_arn, taskRoleArn=task_role_arn,
        containerDefinitions=[{
            "name": "fargate-demo-container", "image": f"{ecr_uri}:latest",
            "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
            "essential": True,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": region,
                "awslogs-stream-prefix": "ecs"}},
            "environment": [{"name": "NODE_ENV", "value": "production"},
                            {"name": "PORT", "value": "3000"}],
            "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"],
                            "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60}}])

    # 7. Load balancer, target group, listener
    alb_arn = elbv2.create_load_balancer(
        Name=alb_name, Subnets=subnets, SecurityGroups=[alb_sg], Scheme="internet-facing",
        Type="application", IpAddressType="ipv4")["LoadBalancers"][0]["LoadBalancerArn"]
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

    # Validation (the AWS calls)
    s = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
    print(s["serviceName"], s["status"], s["runningCount"], s["pendingCount"], s["desiredCount"])
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

    # Cleanup
    ecs.update_service(cluster=cluster, service=service, desiredCount=0)
    ecs.delete_service(cluster=cluster, service=service, force=True)
    ecs.delete_cluster(cluster=cluster)
    listener = elbv2.describe_listeners(LoadBalancerArn=alb_arn)["Listeners"][0]["ListenerArn"]
    elbv2.delete_listener(ListenerArn=listener)
    elbv2.delete_target_group(TargetGroupArn=tg_arn)
    elbv2.delete_load_balancer(LoadBalancerArn=alb_arn)
    for kind in ("cpu", "memory"):
        scaling.delete_scaling_policy(PolicyName=f"{service}-{kind}-scaling", **target)
    scaling.deregister_scalable_target(**target)
    ecs.deregister_task_definition(taskDefinition=f"{family}:1")
    logs.delete_log_group(logGroupName=log_group)
    ec2.delete_security_group(GroupId=task_sg)
    ec2.delete_security_group(GroupId=alb_sg)
    iam.detach_role_policy(RoleName=exec_role, PolicyArn=EXEC_POLICY)
    iam.detach_role_policy(RoleName=task_role, PolicyArn=policy_arn)
    iam.delete_policy(PolicyArn=policy_arn)
    iam.delete_role(RoleName=exec_role)
    iam.delete_role(RoleName=task_role)
    ecr.delete_repository(repositoryName=repo, force=True)
    print("account", account, "suffix", suffix)


if __name__ == "__main__":
    main()
