from rest_framework import serializers


class RunPeriodicTaskInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class RunPeriodicTaskOutput(serializers.Serializer):
    task_id = serializers.CharField()
    request_id = serializers.CharField()
