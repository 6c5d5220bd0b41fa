"""Translate a SAM template with aws-sam-translator, as `sam deploy` does,
and print the CloudFormation JSON. Function CodeUri is replaced by an S3
location, since `sam build` does that before the transform runs."""
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class Policies:
    """The managed policies SAM attaches for the template's event sources."""

    def load(self):
        names = ["AWSLambdaBasicExecutionRole", "AWSLambdaDynamoDBExecutionRole",
                 "AWSLambdaSQSQueueExecutionRole", "AWSXrayWriteOnlyAccess"]
        return {n: "arn:aws:iam::aws:policy/service-role/" + n for n in names}


template = yaml_parse(open(sys.argv[1]).read())
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/key"
json.dump(transform(template, {}, Policies()), sys.stdout)
