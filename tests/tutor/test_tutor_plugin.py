"""
The Tutor plugin renders one ``lms-beat`` service beside Tutor's own LMS worker.

Tutor renders its environment (docker-compose and Kubernetes manifests) without Docker, so these
tests enable the plugin in a throw-away Tutor root, render, and read the real files.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "deploy" / "tutor" / "periodic_reports_beat.py"
TUTOR = str(Path(sys.executable).with_name("tutor"))
COMMAND = [
    "celery", "--app=lms.celery", "beat", "--loglevel=info",
    "--scheduler=django_celery_beat.schedulers:DatabaseScheduler", "--pidfile=",
]


class RenderedTutorEnvTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = Path(tempfile.mkdtemp(prefix="pir-tutor-"))
        cls.addClassCleanup(shutil.rmtree, cls.root, ignore_errors=True)
        plugins = cls.root / "plugins"
        plugins.mkdir()
        shutil.copy(PLUGIN, plugins)
        cls.env = {**os.environ, "TUTOR_ROOT": str(cls.root / "tutor"), "TUTOR_PLUGINS_ROOT": str(plugins)}
        cls.tutor("config", "save")
        cls.without = cls.render()
        cls.tutor("plugins", "enable", "periodic_reports_beat")
        cls.with_plugin = cls.render()

    @classmethod
    def tutor(cls, *args):
        subprocess.run([TUTOR, *args], env=cls.env, check=True, capture_output=True, text=True)

    @classmethod
    def render(cls):
        env = cls.root / "tutor" / "env"
        compose = yaml.safe_load((env / "local" / "docker-compose.prod.yml").read_text())
        k8s = [doc for doc in yaml.safe_load_all((env / "k8s" / "deployments.yml").read_text()) if doc]
        return compose["services"], {doc["metadata"]["name"]: doc for doc in k8s}

    def test_plugin_is_listed(self):
        result = subprocess.run([TUTOR, "plugins", "list"], env=self.env, check=True,
                                capture_output=True, text=True)
        self.assertRegex(result.stdout, r"periodic_reports_beat\s+✅|periodic_reports_beat.*enabled")

    def test_no_beat_without_the_plugin(self):
        services, deployments = self.without
        self.assertNotIn("lms-beat", services)
        self.assertNotIn("lms-beat", deployments)
        self.assertNotIn("beat", services["lms-worker"]["command"])

    def test_local_service(self):
        services, _ = self.with_plugin
        beat, worker = services["lms-beat"], services["lms-worker"]
        self.assertEqual(beat["command"], COMMAND)
        self.assertEqual(beat["image"], worker["image"])
        self.assertEqual(beat["environment"], worker["environment"])
        self.assertTrue(set(beat["volumes"]) <= set(worker["volumes"]))
        self.assertEqual(beat["restart"], "unless-stopped")
        self.assertNotIn("beat", worker["command"])

    def test_kubernetes_deployment_has_exactly_one_replica(self):
        _, deployments = self.with_plugin
        beat, worker = deployments["lms-beat"], deployments["lms-worker"]
        self.assertEqual(beat["spec"]["replicas"], 1)
        self.assertEqual(beat["spec"]["strategy"], {"type": "Recreate"})
        container = beat["spec"]["template"]["spec"]["containers"][0]
        worker_container = worker["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container["args"], COMMAND)
        self.assertEqual(container["image"], worker_container["image"])
        self.assertEqual(container["env"], worker_container["env"])
        self.assertEqual(container["volumeMounts"], worker_container["volumeMounts"])
        pod, worker_pod = beat["spec"]["template"]["spec"], worker["spec"]["template"]["spec"]
        self.assertEqual(pod["volumes"], worker_pod["volumes"])
