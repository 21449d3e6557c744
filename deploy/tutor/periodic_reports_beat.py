"""
Tutor plugin: one celery beat for the LMS, reading schedules from the database.

Tutor runs LMS workers but no beat, and adding ``--beat`` to the worker starts one beat per worker
replica, which sends every report once per replica. This plugin adds a separate ``lms-beat``
service with exactly one replica (``tutor local`` and ``tutor k8s``), running django-celery-beat's
``DatabaseScheduler`` with the LMS settings, next to Tutor's ``lms-worker``.

Install: copy this file into ``$(tutor plugins printroot)``, then
``tutor plugins enable periodic_reports_beat`` and ``tutor local launch`` (or ``tutor k8s launch``).
"""

from tutor import hooks

BEAT_COMMAND = [
    "celery",
    "--app=lms.celery",
    "beat",
    "--loglevel=info",
    "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
    # A restarted container keeps its files: a stale pid file would stop beat from starting.
    "--pidfile=",
]

_COMMAND_YAML = "".join(f'\n    - "{part}"' for part in BEAT_COMMAND)
_ARGS_YAML = "".join(f'\n            - "{part}"' for part in BEAT_COMMAND)

LOCAL_SERVICE = f"""lms-beat:
  image: {{{{ DOCKER_IMAGE_OPENEDX }}}}
  environment:
    SERVICE_VARIANT: lms
    DJANGO_SETTINGS_MODULE: lms.envs.tutor.production
  command:{_COMMAND_YAML}
  restart: unless-stopped
  volumes:
    - ../apps/openedx/settings/lms:/openedx/edx-platform/lms/envs/tutor:roz
    - ../apps/openedx/settings/cms:/openedx/edx-platform/cms/envs/tutor:roz
    - ../apps/openedx/config:/openedx/config:roz
  depends_on:
    - lms
"""

K8S_DEPLOYMENT = f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: lms-beat
  labels:
    app.kubernetes.io/name: lms-beat
spec:
  # Exactly one beat: a second one would send every report twice.
  replicas: 1
  strategy:
    type: Recreate
  selector:
    matchLabels:
      app.kubernetes.io/name: lms-beat
  template:
    metadata:
      labels:
        app.kubernetes.io/name: lms-beat
    spec:
      securityContext:
        runAsUser: 1000
        runAsGroup: 1000
      containers:
        - name: lms-beat
          image: {{{{ DOCKER_IMAGE_OPENEDX }}}}
          args:{_ARGS_YAML}
          env:
            - name: SERVICE_VARIANT
              value: lms
            - name: DJANGO_SETTINGS_MODULE
              value: lms.envs.tutor.production
          volumeMounts:
            - mountPath: /openedx/edx-platform/lms/envs/tutor/
              name: settings-lms
            - mountPath: /openedx/edx-platform/cms/envs/tutor/
              name: settings-cms
            - mountPath: /openedx/config
              name: config
          securityContext:
            allowPrivilegeEscalation: false
      volumes:
        - name: settings-lms
          configMap:
            name: openedx-settings-lms
        - name: settings-cms
          configMap:
            name: openedx-settings-cms
        - name: config
          configMap:
            name: openedx-config
"""

hooks.Filters.ENV_PATCHES.add_items([
    ("local-docker-compose-prod-services", LOCAL_SERVICE),
    ("k8s-deployments", K8S_DEPLOYMENT),
])
