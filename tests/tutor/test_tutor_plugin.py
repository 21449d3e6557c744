"""
The Tutor plugin package (tutor-contrib-periodic-reports) renders one beat and installs the plugin.

Tutor renders its environment (Dockerfile, LMS settings, docker-compose and Kubernetes files)
without Docker, so these tests enable the installed package in a throw-away Tutor root, run
``tutor config save`` and read the real files. The package must be installed in this environment
(``make test-tutor`` does ``pip install -e tutor-contrib-periodic-reports``).
"""

import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import yaml
from tutor.exceptions import TutorError

ROOT = Path(__file__).resolve().parents[2]
TUTOR = str(Path(sys.executable).with_name("tutor"))
PLUGIN = "periodic-reports"
COMMAND = [
    "celery", "--app=lms.celery", "beat", "--loglevel=info",
    "--scheduler=django_celery_beat.schedulers:DatabaseScheduler", "--pidfile=",
]
SETTINGS = {"RETRY_ATTEMPTS": 5, "QUEUE": None, "FAILURE_CC": ["ops@example.com"], "FOLDER_ROOT": "periodic/"}
SETTINGS_YAML = (
    '{"RETRY_ATTEMPTS": 5, "QUEUE": null, "FAILURE_CC": ["ops@example.com"], "FOLDER_ROOT": "periodic/"}'
)
SETTINGS_MOUNT = "../apps/openedx/settings/lms:/openedx/edx-platform/lms/envs/tutor:roz"


def plugin_version():
    """Return periodic_instructor_reports.__version__, read from the source."""
    text = (ROOT / "periodic_instructor_reports" / "__init__.py").read_text()
    return re.search(r'^__version__ = "([^"]+)"', text, re.M).group(1)


class TutorRoot:
    """A Tutor project root in a temporary folder, with no single-file plugins."""

    def __init__(self, test):
        folder = Path(tempfile.mkdtemp(prefix="pir-tutor-"))
        test.addClassCleanup(shutil.rmtree, folder, ignore_errors=True)
        (folder / "plugins").mkdir()
        self.root = folder / "tutor"
        self.plugins = folder / "plugins"
        self.env = {**os.environ, "TUTOR_ROOT": str(self.root), "TUTOR_PLUGINS_ROOT": str(self.plugins)}

    def run(self, *args, check=True):
        result = subprocess.run([TUTOR, *args], env=self.env, capture_output=True, text=True)
        if check and result.returncode:
            raise AssertionError(f"tutor {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def read(self, *parts):
        return (self.root / "env").joinpath(*parts).read_text()

    def compose(self, *parts):
        return yaml.safe_load(self.read(*parts))["services"]

    def rendered(self):
        """Return what ``tutor local``, ``tutor dev`` and ``tutor k8s`` would run."""
        local = {
            **self.compose("local", "docker-compose.yml"),
            **self.compose("local", "docker-compose.prod.yml"),
        }
        dev_only = self.compose("dev", "docker-compose.yml")
        # tutor dev loads local/docker-compose.yml and dev/docker-compose.yml, not the prod file.
        dev = {**self.compose("local", "docker-compose.yml"), **dev_only}
        k8s = [doc for doc in yaml.safe_load_all(self.read("k8s", "deployments.yml")) if doc]
        return {
            "local": local,
            "dev": dev,
            "dev_only": dev_only,
            "k8s": {doc["metadata"]["name"]: doc for doc in k8s if doc["kind"] == "Deployment"},
            "dockerfile": self.read("build", "openedx", "Dockerfile"),
            "lms_production": self.read("apps", "openedx", "settings", "lms", "production.py"),
            "lms_development": self.read("apps", "openedx", "settings", "lms", "development.py"),
        }


def beats(services):
    """Return the names of the compose services that run celery beat."""
    return [name for name, service in services.items() if "beat" in (service.get("command") or [])]


def beat_deployments(deployments):
    return [
        name for name, doc in deployments.items()
        if "beat" in (doc["spec"]["template"]["spec"]["containers"][0].get("args") or [])
    ]


def plugin_settings(settings_py):
    """Return the PERIODIC_INSTRUCTOR_REPORTS_* assignments of a rendered settings file, evaluated."""
    found = {}
    for node in ast.parse(settings_py).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.startswith("PERIODIC_INSTRUCTOR_REPORTS_"):
                found[name.removeprefix("PERIODIC_INSTRUCTOR_REPORTS_")] = ast.literal_eval(node.value)
    return found


def pip_lines(dockerfile):
    return re.findall(r"\$PIP_COMMAND install '(periodic-instructor-reports[^']*)'", dockerfile)


class RenderedTutorEnvTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tutor = TutorRoot(cls)
        cls.tutor.run("config", "save")
        cls.without = cls.tutor.rendered()
        cls.tutor.run("plugins", "enable", PLUGIN)
        cls.default = cls.tutor.rendered()
        cls.tutor.run("config", "save", "--set", "PERIODIC_REPORTS_VERSION=1.9.3",
                      "--set", f"PERIODIC_REPORTS_SETTINGS={SETTINGS_YAML}")
        cls.with_plugin = cls.tutor.rendered()
        cls.tutor.run("plugins", "disable", PLUGIN)
        cls.disabled_again = cls.tutor.rendered()

    def test_plugin_is_listed_with_its_version(self):
        result = self.tutor.run("plugins", "list")
        self.assertRegex(result.stdout, rf"{PLUGIN}\s+\S+\s+{re.escape(plugin_version())}")

    def test_nothing_without_the_plugin(self):
        for rendered in (self.without, self.disabled_again):
            self.assertEqual(beats(rendered["local"]), [])
            self.assertEqual(beats(rendered["dev"]), [])
            self.assertEqual(beat_deployments(rendered["k8s"]), [])
            self.assertEqual(pip_lines(rendered["dockerfile"]), [])
            self.assertEqual(plugin_settings(rendered["lms_production"]), {})

    def test_the_image_installs_the_plugin_at_its_version(self):
        self.assertEqual(pip_lines(self.default["dockerfile"]),
                         [f"periodic-instructor-reports=={plugin_version()}"])

    def test_the_image_installs_the_configured_version(self):
        self.assertEqual(pip_lines(self.with_plugin["dockerfile"]), ["periodic-instructor-reports==1.9.3"])

    def test_settings_reach_the_lms_settings(self):
        self.assertEqual(plugin_settings(self.default["lms_production"]), {})
        self.assertEqual(plugin_settings(self.with_plugin["lms_production"]), SETTINGS)
        self.assertEqual(plugin_settings(self.with_plugin["lms_development"]), SETTINGS)
        # Kubernetes mounts the same file, through the openedx-settings-lms config map.
        kustomization = yaml.safe_load(self.tutor.read("kustomization.yml"))
        maps = {item["name"]: item["files"] for item in kustomization["configMapGenerator"]}
        self.assertIn("apps/openedx/settings/lms/production.py", maps["openedx-settings-lms"])

    def test_local_has_one_beat_beside_the_worker(self):
        services = self.with_plugin["local"]
        self.assertEqual(beats(services), ["lms-beat"])
        beat, worker = services["lms-beat"], services["lms-worker"]
        self.assertEqual(beat["command"], COMMAND)
        self.assertEqual(beat["image"], worker["image"])
        self.assertEqual(beat["environment"], worker["environment"])
        self.assertTrue(set(beat["volumes"]) <= set(worker["volumes"]))
        self.assertIn(SETTINGS_MOUNT, beat["volumes"])
        self.assertNotIn("deploy", beat)

    def test_dev_has_one_beat_with_the_development_image_and_settings(self):
        services = self.with_plugin["dev"]
        self.assertEqual(beats(services), ["lms-beat"])
        self.assertEqual(beats(self.with_plugin["local"]), ["lms-beat"])
        beat, lms = services["lms-beat"], self.with_plugin["dev_only"]["lms"]
        self.assertEqual(beat["command"], COMMAND)
        self.assertEqual(beat["image"], lms["image"])
        self.assertEqual(beat["environment"]["DJANGO_SETTINGS_MODULE"], "lms.envs.tutor.development")
        self.assertEqual(lms["environment"]["DJANGO_SETTINGS_MODULE"], "lms.envs.tutor.development")
        self.assertIn(SETTINGS_MOUNT, beat["volumes"])

    def test_kubernetes_has_one_beat_deployment_of_one_replica(self):
        deployments = self.with_plugin["k8s"]
        self.assertEqual(beat_deployments(deployments), ["lms-beat"])
        beat, worker = deployments["lms-beat"], deployments["lms-worker"]
        self.assertEqual(beat["spec"]["replicas"], 1)
        self.assertEqual(beat["spec"]["strategy"], {"type": "Recreate"})
        pod, worker_pod = beat["spec"]["template"]["spec"], worker["spec"]["template"]["spec"]
        container, worker_container = pod["containers"][0], worker_pod["containers"][0]
        self.assertEqual(len(pod["containers"]), 1)
        self.assertEqual(container["args"], COMMAND)
        self.assertEqual(container["image"], worker_container["image"])
        self.assertEqual(container["env"], worker_container["env"])
        self.assertEqual(container["volumeMounts"], worker_container["volumeMounts"])
        self.assertEqual(pod["volumes"], worker_pod["volumes"])
        self.assertEqual(pod["securityContext"], worker_pod["securityContext"])


class RefusedConfigurationTests(unittest.TestCase):
    """A configuration that would install the plugin twice, run two beats or set a typo is refused."""

    def enabled_root(self):
        tutor = TutorRoot(self)
        tutor.run("plugins", "enable", PLUGIN)
        return tutor

    def assert_refused(self, result, message):
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(message, result.stderr + result.stdout)

    def test_unknown_setting_name(self):
        tutor = self.enabled_root()
        result = tutor.run("config", "save", "--set", 'PERIODIC_REPORTS_SETTINGS={"RETRY_ATTEMPT": 5}',
                           check=False)
        self.assert_refused(result, "PERIODIC_REPORTS_SETTINGS names unknown settings: RETRY_ATTEMPT.")
        settings_py = tutor.read("apps", "openedx", "settings", "lms", "production.py")
        self.assertEqual(plugin_settings(settings_py), {})

    def test_settings_that_are_not_a_mapping(self):
        tutor = self.enabled_root()
        result = tutor.run("config", "save", "--set", "PERIODIC_REPORTS_SETTINGS=[1, 2]", check=False)
        self.assert_refused(result, "PERIODIC_REPORTS_SETTINGS must be a mapping")

    def test_package_also_in_extra_pip_requirements(self):
        tutor = self.enabled_root()
        result = tutor.run("config", "save", "--append",
                           "OPENEDX_EXTRA_PIP_REQUIREMENTS=periodic-instructor-reports>=2", check=False)
        self.assert_refused(result,
                            "OPENEDX_EXTRA_PIP_REQUIREMENTS installs 'periodic-instructor-reports>=2'")
        self.assertEqual(pip_lines(tutor.read("build", "openedx", "Dockerfile")),
                         [f"periodic-instructor-reports=={plugin_version()}"])
        tutor.run("config", "save", "--remove",
                  "OPENEDX_EXTRA_PIP_REQUIREMENTS=periodic-instructor-reports>=2")

    def test_single_file_plugin_enabled_too(self):
        tutor = self.enabled_root()
        (tutor.plugins / "periodic_reports_beat.py").write_text("from tutor import hooks\n")
        result = tutor.run("plugins", "enable", "periodic_reports_beat", check=False)
        self.assert_refused(result, "The plugin periodic_reports_beat also adds lms-beat")


TARBALL = "periodic-instructor-reports-scheduled-reports-tab-"
IMPORT = "import scheduledReportsApp from '@periodic-instructor-reports/scheduled-reports-tab';"
ADD_APP = "addApp(siteConfig, scheduledReportsApp);"
# A single-file plugin that takes the instructor dashboard out of tutor-mfe's frontend-base apps.
NO_DASHBOARD_PLUGIN = """\
from tutormfe.hooks import FRONTEND_APPS

@FRONTEND_APPS.add()
def _remove_instructor_dashboard(apps):
    apps.pop("instructor-dashboard", None)
    return apps
"""


class MfeTabTests(unittest.TestCase):
    """The "Scheduled reports" tab goes into tutor-mfe's MFE image and site configuration."""

    def enabled_root(self, *plugins):
        tutor = TutorRoot(self)
        for plugin in plugins:
            tutor.run("plugins", "enable", plugin)
        return tutor

    def mfe_files(self, tutor):
        folder = ("plugins", "mfe", "build", "mfe")
        return {
            "dockerfile": tutor.read(*folder, "Dockerfile"),
            "build": tutor.read(*folder, "site", "site.config.build.tsx"),
            "dev": tutor.read(*folder, "site", "site.config.dev.tsx"),
            "context": sorted(
                path.name for path in tutor.root.joinpath("env", *folder, "periodic-reports").glob("*")
            ),
        }

    def site_stage(self, dockerfile):
        """Return the Dockerfile's site-common stage, where the site's npm install runs."""
        return dockerfile.split("FROM base AS site-common", 1)[1].split("\nFROM ", 1)[0]

    def assert_no_tab(self, files):
        self.assertNotIn("periodic-reports", files["dockerfile"])
        self.assertNotIn("scheduled-reports-tab", files["dockerfile"])
        for config in (files["build"], files["dev"]):
            self.assertNotIn("scheduledReportsApp", config)
        self.assertEqual(files["context"], [])

    def test_default_installs_the_shipped_tarball_and_adds_the_app(self):
        tutor = self.enabled_root("mfe", PLUGIN)
        files = self.mfe_files(tutor)
        self.assertEqual(len(files["context"]), 1)
        tarball = files["context"][0]
        self.assertTrue(tarball.startswith(TARBALL) and tarball.endswith(".tgz"), tarball)
        stage = self.site_stage(files["dockerfile"])
        site_install = stage.index("npm install --no-audit --no-fund --registry=$NPM_REGISTRY\n")
        copy = stage.index(f"COPY periodic-reports/{tarball} /openedx/periodic-reports/\n")
        install = stage.index(f"--registry=$NPM_REGISTRY /openedx/periodic-reports/{tarball}\n")
        self.assertLess(site_install, copy)
        self.assertLess(copy, install)
        self.assertLess(install, stage.index("COPY --from=site-src / ."))
        for config in (files["build"], files["dev"]):
            self.assertIn(IMPORT, config)
            dashboard = config.index("addApp(siteConfig, instructorDashboardApp);")
            self.assertLess(dashboard, config.index(ADD_APP))
            self.assertLess(config.index(ADD_APP), config.index("export default siteConfig;"))

    def test_configured_npm_spec_is_installed_instead(self):
        tutor = self.enabled_root("mfe", PLUGIN)
        url = "https://example.com/releases/scheduled-reports-tab-0.1.0.tgz"
        tutor.run("config", "save", "--set", f"PERIODIC_REPORTS_MFE_PACKAGE={url}")
        files = self.mfe_files(tutor)
        stage = self.site_stage(files["dockerfile"])
        self.assertIn(f"npm install --no-audit --no-fund --registry=$NPM_REGISTRY '{url}'\n", stage)
        self.assertNotIn("COPY periodic-reports/", stage)
        self.assertEqual(files["context"], [])
        self.assertIn(ADD_APP, files["build"])

    def test_tab_turned_off(self):
        tutor = self.enabled_root("mfe", PLUGIN)
        self.assertEqual(len(self.mfe_files(tutor)["context"]), 1)
        tutor.run("config", "save", "--set", "PERIODIC_REPORTS_DASHBOARD_TAB=false")
        self.assert_no_tab(self.mfe_files(tutor))

    def test_instructor_dashboard_app_removed(self):
        tutor = TutorRoot(self)
        (tutor.plugins / "no_instructor_dashboard.py").write_text(NO_DASHBOARD_PLUGIN)
        for plugin in ("mfe", PLUGIN, "no_instructor_dashboard"):
            tutor.run("plugins", "enable", plugin)
        files = self.mfe_files(tutor)
        self.assertNotIn("instructorDashboardApp", files["build"])
        self.assert_no_tab(files)

    def test_no_tarball_and_no_package_is_refused(self):
        from tutor_periodic_reports import plugin

        config = {"PLUGINS": ["mfe", PLUGIN], "PERIODIC_REPORTS_DASHBOARD_TAB": True,
                  "PERIODIC_REPORTS_MFE_PACKAGE": ""}
        importlib.import_module("tutormfe.plugin")
        folder = Path(tempfile.mkdtemp(prefix="pir-no-tarball-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        with mock.patch.object(plugin, "BUNDLED_FOLDER", folder):
            with self.assertRaisesRegex(TutorError, "PERIODIC_REPORTS_MFE_PACKAGE is empty"):
                plugin._refuse_conflicting_config(config)
            plugin._refuse_conflicting_config({**config, "PERIODIC_REPORTS_MFE_PACKAGE": "https://x/t.tgz"})
            plugin._refuse_conflicting_config({**config, "PERIODIC_REPORTS_DASHBOARD_TAB": False})
            plugin._refuse_conflicting_config({**config, "PLUGINS": [PLUGIN]})

    def test_mfe_plugin_not_enabled(self):
        # A new Tutor root enables tutor-mfe when it is installed: disable it.
        tutor = self.enabled_root(PLUGIN)
        self.assertIn("mfe", yaml.safe_load(tutor.root.joinpath("config.yml").read_text())["PLUGINS"])
        self.assertEqual(len(self.mfe_files(tutor)["context"]), 1)
        tutor.run("plugins", "disable", "mfe")
        # Tutor leaves a disabled plugin's files in env/: the copied tarball goes, the rest is stale.
        self.assertEqual(self.mfe_files(tutor)["context"], [])
        shutil.rmtree(tutor.root / "env")
        tutor.run("config", "save")
        self.assertFalse(tutor.root.joinpath("env", "plugins", "mfe").exists())
        self.assertEqual(beats(tutor.rendered()["local"]), ["lms-beat"])
        self.assertFalse(list(tutor.root.joinpath("env").rglob("*.tgz")))
