#!/usr/bin/env bash
# bench-helper (run by recipe_bench.sh against moto and by timing_bench.sh
# against the AWS simulator; not by itself).
# The commands are kept as the original wrote them (unquoted, export $(...)).
# shellcheck disable=SC2086,SC2155,SC2046,SC2236
# The original recipe's AWS CLI commands (../shared/spec/fargate-alb-recipe.md):
# preparation, steps 1 and 4-9, the validation's AWS calls and the cleanup,
# in order, as written, minus Docker (steps 2-3, the ECR login), curl and
# the sleeps (see below). One deviation: `logs create-log-group --retention-in-days`
# is not an option of this CLI, so the retention is set the way the
# API has it, with put-retention-policy. AWS_CLI names the aws program
# (default: aws on PATH); the endpoint comes from AWS_ENDPOINT_URL.
#
# recipe_cli.sh runs all of it; the timing benchmark (timing_bench.sh) runs
# it in phases, `recipe_cli.sh deploy|update|destroy`, the variables kept
# in CLI_STATE between them. CLI_SLEEP_SCALE puts the original's two
# `sleep 60` back, multiplied by it (the simulator's scale). The original
# has no update: `update` registers step 6's task definition again for
# CLI_IMAGE, points the service at it and runs the validation again.
set -euo pipefail
aws() { command "${AWS_CLI:-aws}" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

phase=${1:-all}
pause() {
    if [ -n "${CLI_SLEEP_SCALE:-}" ]; then sleep "$(awk -v s="$1" -v f="$CLI_SLEEP_SCALE" 'BEGIN { print s * f }')"; fi
}

# Step 6's task definition for an image (an update registers it again).
register_task_definition() {
cat > task-definition.json << JSON
{
    "family": "${TASK_FAMILY}",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "executionRoleArn": "${EXECUTION_ROLE_ARN}",
    "taskRoleArn": "${TASK_ROLE_ARN}",
    "containerDefinitions": [
        {
            "name": "fargate-demo-container",
            "image": "$1",
            "portMappings": [{"containerPort": 3000, "protocol": "tcp"}],
            "essential": true,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/ecs/${TASK_FAMILY}",
                    "awslogs-region": "${AWS_REGION}",
                    "awslogs-stream-prefix": "ecs"
                }
            },
            "environment": [
                {"name": "NODE_ENV", "value": "production"},
                {"name": "PORT", "value": "3000"}
            ],
            "healthCheck": {
                "command": ["CMD-SHELL", "curl -f http://localhost:3000/health || exit 1"],
                "interval": 30,
                "timeout": 5,
                "retries": 3,
                "startPeriod": 60
            }
        }
    ]
}
JSON
aws ecs register-task-definition \
    --cli-input-json file://task-definition.json
}

# Validation (the AWS calls; curl left out), with the original's sleep 60
# before the target health (CLI_SLEEP_SCALE; none when unset).
validate() {
aws ecs describe-services \
    --cluster ${CLUSTER_NAME} \
    --services ${SERVICE_NAME} \
    --query 'services[0].[serviceName,status,runningCount,pendingCount,desiredCount]'
aws ecs list-tasks \
    --cluster ${CLUSTER_NAME} \
    --service-name ${SERVICE_NAME} \
    --query 'taskArns'
TASK_ARNS=$(aws ecs list-tasks \
    --cluster ${CLUSTER_NAME} \
    --service-name ${SERVICE_NAME} \
    --query 'taskArns' --output text)
if [ ! -z "$TASK_ARNS" ]; then
    aws ecs describe-tasks \
        --cluster ${CLUSTER_NAME} \
        --tasks ${TASK_ARNS} \
        --query 'tasks[*].[taskArn,lastStatus,healthStatus,cpu,memory]' \
        --output table
fi
pause 60
aws elbv2 describe-target-health \
    --target-group-arn ${TARGET_GROUP_ARN} \
    --query 'TargetHealthDescriptions[*].[Target.Id,TargetHealth.State,TargetHealth.Description]' \
    --output table
aws ecs describe-services \
    --cluster ${CLUSTER_NAME} \
    --services ${SERVICE_NAME} \
    --query 'services[0].events[0:5].[createdAt,message]' \
    --output table
aws logs describe-log-streams \
    --log-group-name "/ecs/${TASK_FAMILY}" \
    --query 'logStreams[0:3].[logStreamName,creationTime]'
LOG_STREAM=$(aws logs describe-log-streams \
    --log-group-name "/ecs/${TASK_FAMILY}" \
    --order-by LastEventTime \
    --descending \
    --max-items 1 \
    --query 'logStreams[0].logStreamName' --output text)
if [ "$LOG_STREAM" != "None" ]; then
    aws logs get-log-events \
        --log-group-name "/ecs/${TASK_FAMILY}" \
        --log-stream-name "${LOG_STREAM}" \
        --limit 5 \
        --query 'events[*].message'
fi
}

if [ "$phase" = all ] || [ "$phase" = deploy ]; then

# Preparation
export AWS_REGION=${AWS_REGION:-$(aws configure get region)}
export AWS_ACCOUNT_ID=$(aws sts get-caller-identity \
    --query Account --output text)
RANDOM_SUFFIX=$(aws secretsmanager get-random-password \
    --exclude-punctuation --exclude-uppercase \
    --password-length 6 --require-each-included-type \
    --output text --query RandomPassword)
export CLUSTER_NAME="fargate-cluster-${RANDOM_SUFFIX}"
export SERVICE_NAME="fargate-service-${RANDOM_SUFFIX}"
export TASK_FAMILY="fargate-task-${RANDOM_SUFFIX}"
export ECR_REPO_NAME="fargate-demo-${RANDOM_SUFFIX}"
export ALB_NAME="fargate-alb-${RANDOM_SUFFIX}"
export SECURITY_GROUP_NAME="fargate-sg-${RANDOM_SUFFIX}"
export VPC_ID=$(aws ec2 describe-vpcs \
    --filters "Name=is-default,Values=true" \
    --query 'Vpcs[0].VpcId' --output text)
export SUBNET_IDS=$(aws ec2 describe-subnets \
    --filters "Name=vpc-id,Values=${VPC_ID}" "Name=default-for-az,Values=true" \
    --query 'Subnets[*].SubnetId' --output text | tr '\t' ',')

# 1. ECR repository
aws ecr create-repository \
    --repository-name ${ECR_REPO_NAME} \
    --image-scanning-configuration scanOnPush=true \
    --encryption-configuration encryptionType=AES256
ECR_URI=$(aws ecr describe-repositories \
    --repository-names ${ECR_REPO_NAME} \
    --query 'repositories[0].repositoryUri' --output text)

# 4. Security groups
ALB_SG_ID=$(aws ec2 create-security-group \
    --group-name "${ALB_NAME}-sg" \
    --description "Security group for Fargate ALB" \
    --vpc-id ${VPC_ID} \
    --query 'GroupId' --output text)
aws ec2 authorize-security-group-ingress \
    --group-id ${ALB_SG_ID} --protocol tcp --port 80 --cidr 0.0.0.0/0
aws ec2 authorize-security-group-ingress \
    --group-id ${ALB_SG_ID} --protocol tcp --port 443 --cidr 0.0.0.0/0
FARGATE_SG_ID=$(aws ec2 create-security-group \
    --group-name ${SECURITY_GROUP_NAME} \
    --description "Security group for Fargate tasks" \
    --vpc-id ${VPC_ID} \
    --query 'GroupId' --output text)
aws ec2 authorize-security-group-ingress \
    --group-id ${FARGATE_SG_ID} --protocol tcp --port 3000 --source-group ${ALB_SG_ID}
aws ec2 authorize-security-group-egress \
    --group-id ${FARGATE_SG_ID} --protocol tcp --port 443 --cidr 0.0.0.0/0
aws ec2 authorize-security-group-egress \
    --group-id ${FARGATE_SG_ID} --protocol tcp --port 80 --cidr 0.0.0.0/0

# 5. IAM roles
cat > task-execution-role-trust-policy.json << 'JSON'
{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }
    ]
}
JSON
EXECUTION_ROLE_NAME="ecsTaskExecutionRole-${RANDOM_SUFFIX}"
aws iam create-role \
    --role-name ${EXECUTION_ROLE_NAME} \
    --assume-role-policy-document file://task-execution-role-trust-policy.json
aws iam attach-role-policy \
    --role-name ${EXECUTION_ROLE_NAME} \
    --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
TASK_ROLE_NAME="ecsTaskRole-${RANDOM_SUFFIX}"
aws iam create-role \
    --role-name ${TASK_ROLE_NAME} \
    --assume-role-policy-document file://task-execution-role-trust-policy.json
cat > task-role-policy.json << 'JSON'
{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "cloudwatch:PutMetricData"],
            "Resource": "*"
        }
    ]
}
JSON
aws iam create-policy \
    --policy-name "${TASK_ROLE_NAME}-Policy" \
    --policy-document file://task-role-policy.json
TASK_POLICY_ARN=$(aws iam list-policies \
    --query "Policies[?PolicyName=='${TASK_ROLE_NAME}-Policy'].Arn" \
    --output text)
aws iam attach-role-policy \
    --role-name ${TASK_ROLE_NAME} \
    --policy-arn ${TASK_POLICY_ARN}
EXECUTION_ROLE_ARN=$(aws iam get-role \
    --role-name ${EXECUTION_ROLE_NAME} \
    --query 'Role.Arn' --output text)
TASK_ROLE_ARN=$(aws iam get-role \
    --role-name ${TASK_ROLE_NAME} \
    --query 'Role.Arn' --output text)

# 6. Cluster, log group, task definition
aws ecs create-cluster \
    --cluster-name ${CLUSTER_NAME} \
    --capacity-providers FARGATE FARGATE_SPOT \
    --default-capacity-provider-strategy \
        capacityProvider=FARGATE,weight=1,base=1 \
        capacityProvider=FARGATE_SPOT,weight=4
aws logs create-log-group \
    --log-group-name "/ecs/${TASK_FAMILY}"
aws logs put-retention-policy \
    --log-group-name "/ecs/${TASK_FAMILY}" \
    --retention-in-days 7
register_task_definition "${ECR_URI}:latest"

# 7. Load balancer, target group, listener
ALB_ARN=$(aws elbv2 create-load-balancer \
    --name ${ALB_NAME} \
    --subnets $(echo ${SUBNET_IDS} | tr ',' ' ') \
    --security-groups ${ALB_SG_ID} \
    --scheme internet-facing \
    --type application \
    --ip-address-type ipv4 \
    --query 'LoadBalancers[0].LoadBalancerArn' --output text)
ALB_DNS=$(aws elbv2 describe-load-balancers \
    --load-balancer-arns ${ALB_ARN} \
    --query 'LoadBalancers[0].DNSName' --output text)
TARGET_GROUP_ARN=$(aws elbv2 create-target-group \
    --name "fargate-tg-${RANDOM_SUFFIX}" \
    --protocol HTTP \
    --port 3000 \
    --vpc-id ${VPC_ID} \
    --target-type ip \
    --health-check-enabled \
    --health-check-path "/health" \
    --health-check-interval-seconds 30 \
    --health-check-timeout-seconds 5 \
    --healthy-threshold-count 2 \
    --unhealthy-threshold-count 3 \
    --matcher HttpCode=200 \
    --query 'TargetGroups[0].TargetGroupArn' --output text)
aws elbv2 create-listener \
    --load-balancer-arn ${ALB_ARN} \
    --protocol HTTP \
    --port 80 \
    --default-actions Type=forward,TargetGroupArn=${TARGET_GROUP_ARN}
echo "ALB DNS: ${ALB_DNS}"

# 8. Service
cat > service-definition.json << JSON
{
    "serviceName": "${SERVICE_NAME}",
    "cluster": "${CLUSTER_NAME}",
    "taskDefinition": "${TASK_FAMILY}",
    "desiredCount": 3,
    "launchType": "FARGATE",
    "platformVersion": "LATEST",
    "networkConfiguration": {
        "awsvpcConfiguration": {
            "subnets": [$(echo ${SUBNET_IDS} | sed 's/,/","/g' | sed 's/^/"/' | sed 's/$/"/')],
            "securityGroups": ["${FARGATE_SG_ID}"],
            "assignPublicIp": "ENABLED"
        }
    },
    "loadBalancers": [
        {
            "targetGroupArn": "${TARGET_GROUP_ARN}",
            "containerName": "fargate-demo-container",
            "containerPort": 3000
        }
    ],
    "healthCheckGracePeriodSeconds": 120,
    "deploymentConfiguration": {
        "maximumPercent": 200,
        "minimumHealthyPercent": 50,
        "deploymentCircuitBreaker": {"enable": true, "rollback": true}
    },
    "enableExecuteCommand": true
}
JSON
aws ecs create-service \
    --cli-input-json file://service-definition.json

# 9. Auto scaling
aws application-autoscaling register-scalable-target \
    --service-namespace ecs \
    --resource-id "service/${CLUSTER_NAME}/${SERVICE_NAME}" \
    --scalable-dimension ecs:service:DesiredCount \
    --min-capacity 2 \
    --max-capacity 10
CPU_SCALING_POLICY_ARN=$(aws application-autoscaling put-scaling-policy \
    --service-namespace ecs \
    --resource-id "service/${CLUSTER_NAME}/${SERVICE_NAME}" \
    --scalable-dimension ecs:service:DesiredCount \
    --policy-name "${SERVICE_NAME}-cpu-scaling" \
    --policy-type TargetTrackingScaling \
    --target-tracking-scaling-policy-configuration '{
        "TargetValue": 70.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
        "ScaleOutCooldown": 300,
        "ScaleInCooldown": 300
    }' \
    --query 'PolicyARN' --output text)
MEMORY_SCALING_POLICY_ARN=$(aws application-autoscaling put-scaling-policy \
    --service-namespace ecs \
    --resource-id "service/${CLUSTER_NAME}/${SERVICE_NAME}" \
    --scalable-dimension ecs:service:DesiredCount \
    --policy-name "${SERVICE_NAME}-memory-scaling" \
    --policy-type TargetTrackingScaling \
    --target-tracking-scaling-policy-configuration '{
        "TargetValue": 80.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageMemoryUtilization"},
        "ScaleOutCooldown": 300,
        "ScaleInCooldown": 300
    }' \
    --query 'PolicyARN' --output text)
echo "scaling: ${CPU_SCALING_POLICY_ARN} ${MEMORY_SCALING_POLICY_ARN}"

validate
[ "$phase" = deploy ] && declare -p AWS_REGION AWS_ACCOUNT_ID RANDOM_SUFFIX CLUSTER_NAME SERVICE_NAME TASK_FAMILY ECR_REPO_NAME ALB_NAME SECURITY_GROUP_NAME VPC_ID SUBNET_IDS ECR_URI ALB_SG_ID FARGATE_SG_ID EXECUTION_ROLE_NAME TASK_ROLE_NAME TASK_POLICY_ARN EXECUTION_ROLE_ARN TASK_ROLE_ARN ALB_ARN ALB_DNS TARGET_GROUP_ARN > "$CLI_STATE"
fi

if [ "$phase" = update ]; then
. "$CLI_STATE"
register_task_definition "$CLI_IMAGE"
aws ecs update-service \
    --cluster ${CLUSTER_NAME} \
    --service ${SERVICE_NAME} \
    --task-definition ${TASK_FAMILY}
validate
fi

if [ "$phase" = all ] || [ "$phase" = destroy ]; then
[ "$phase" = destroy ] && . "$CLI_STATE"

# Cleanup 1: service and cluster
aws ecs update-service \
    --cluster ${CLUSTER_NAME} \
    --service ${SERVICE_NAME} \
    --desired-count 0
pause 60  # the original's wait for the tasks to stop
aws ecs delete-service \
    --cluster ${CLUSTER_NAME} \
    --service ${SERVICE_NAME} \
    --force
aws ecs delete-cluster \
    --cluster ${CLUSTER_NAME}

# Cleanup 2: load balancer and target group
LISTENER_ARN=$(aws elbv2 describe-listeners \
    --load-balancer-arn ${ALB_ARN} \
    --query 'Listeners[0].ListenerArn' --output text)
aws elbv2 delete-listener --listener-arn ${LISTENER_ARN}
aws elbv2 delete-target-group --target-group-arn ${TARGET_GROUP_ARN}
aws elbv2 delete-load-balancer --load-balancer-arn ${ALB_ARN}

# Cleanup 3: auto scaling
aws application-autoscaling delete-scaling-policy \
    --service-namespace ecs \
    --resource-id "service/${CLUSTER_NAME}/${SERVICE_NAME}" \
    --scalable-dimension ecs:service:DesiredCount \
    --policy-name "${SERVICE_NAME}-cpu-scaling"
aws application-autoscaling delete-scaling-policy \
    --service-namespace ecs \
    --resource-id "service/${CLUSTER_NAME}/${SERVICE_NAME}" \
    --scalable-dimension ecs:service:DesiredCount \
    --policy-name "${SERVICE_NAME}-memory-scaling"
aws application-autoscaling deregister-scalable-target \
    --service-namespace ecs \
    --resource-id "service/${CLUSTER_NAME}/${SERVICE_NAME}" \
    --scalable-dimension ecs:service:DesiredCount

# Cleanup 4: supporting resources
aws ecs deregister-task-definition \
    --task-definition ${TASK_FAMILY}:1
aws logs delete-log-group \
    --log-group-name "/ecs/${TASK_FAMILY}"
aws ec2 delete-security-group --group-id ${FARGATE_SG_ID}
aws ec2 delete-security-group --group-id ${ALB_SG_ID}
aws iam detach-role-policy \
    --role-name ${EXECUTION_ROLE_NAME} \
    --policy-arn arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
aws iam detach-role-policy \
    --role-name ${TASK_ROLE_NAME} \
    --policy-arn ${TASK_POLICY_ARN}
aws iam delete-policy --policy-arn ${TASK_POLICY_ARN}
aws iam delete-role --role-name ${EXECUTION_ROLE_NAME}
aws iam delete-role --role-name ${TASK_ROLE_NAME}
aws ecr delete-repository \
    --repository-name ${ECR_REPO_NAME} \
    --force
fi
