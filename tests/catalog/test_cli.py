"""``cashwrap import FILE`` as a real subprocess against the platform on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.catalog.zips import write_zip


def cashwrap_import(platform, credentials, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(
        CASHWRAP_URL=platform.url,
        CASHWRAP_TENANT=credentials.tenant,
        CASHWRAP_CLIENT_ID=credentials.client_id,
        CASHWRAP_CLIENT_SECRET=credentials.client_secret,
        COLUMNS="120",
    )
    return subprocess.run(
        [sys.executable, "-m", "cashwrap", "import", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_cli_imports_a_zip_and_reports_counts_and_errors(platform, tenant, api, tmp_path):
    path = write_zip(
        tmp_path / "catalog.zip",
        {
            "products.jsonl": [
                {"product_id": "cli-1", "title": "From the CLI"},
                {"product_id": "cli-2"},
            ],
            "store_mapping.jsonl": [
                {"store_id": "s1", "fulfillment_node_id": "US01", "country_code": "US"}
            ],
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US01", "product_id": "cli-1", "quantity": 5}
            ],
        },
    )
    result = cashwrap_import(platform, tenant, str(path))

    assert result.returncode == 0, result.stderr
    assert "finished" in result.stderr
    assert "3 imported, 1 refused, 1 locations created" in result.stderr
    assert "products.jsonl:2 invalid_record" in result.stderr
    assert api.get("/v0/catalog/products/cli-1").status_code == 200
    assert api.get("/stores/s1").json()["fulfillment_node_id"] == "US01"
    jobs = api.get("/v0/d/import").json()["items"]
    assert jobs[0]["entities"] == ["availabilities", "products"]
    assert jobs[0]["provider"] == "cashwrap-cli"


def test_cli_json_output_and_failed_job_exit_code(platform, tenant, tmp_path):
    path = write_zip(
        tmp_path / "stock.zip",
        {
            "availabilities.jsonl": [
                {"fulfillment_node_id": "US01", "product_id": "p", "quantity": 1}
            ]
        },
    )
    result = cashwrap_import(platform, tenant, str(path), "--full", "--json")

    assert result.returncode == 1
    job = json.loads(result.stdout)
    assert job["status"] == "failed"
    assert job["failure"]["error_code"] == "full_import_not_supported"


def test_cli_refuses_bad_credentials_and_missing_files(platform, tenant, tmp_path):
    path = write_zip(tmp_path / "p.zip", {"products.jsonl": [{"product_id": "p", "title": "t"}]})
    wrong = tenant.__class__(tenant.tenant, tenant.client_id, "not-the-secret")
    refused = cashwrap_import(platform, wrong, str(path))
    assert refused.returncode == 1
    assert "invalid_client" in refused.stderr

    missing = cashwrap_import(platform, tenant, str(tmp_path / "absent.zip"))
    assert missing.returncode == 2
    assert "no file at" in missing.stderr


def test_cli_imports_a_folder_of_jsonl_files_and_leaves_no_zip_behind(
    platform, tenant, api, tmp_path
):
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "products.jsonl").write_text(
        json.dumps({"product_id": "folder-1", "title": "From a folder"}) + "\n"
    )
    (folder / "availabilities.jsonl").write_text(
        json.dumps({"fulfillment_node_id": "FOLDER01", "product_id": "folder-1", "quantity": 4})
        + "\n"
    )
    zips_before = set(Path(tempfile.gettempdir()).glob("cashwrap-import-catalog-*.zip"))
    done = cashwrap_import(platform, tenant, str(folder), "--json")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert job["status"] == "finished"
    assert job["counts"]["imported"] == 2
    assert api.get("/v0/catalog/products/folder-1").status_code == 200
    assert set(Path(tempfile.gettempdir()).glob("cashwrap-import-catalog-*.zip")) == zips_before

    (tmp_path / "empty").mkdir()
    refused = cashwrap_import(platform, tenant, str(tmp_path / "empty"))
    assert refused.returncode == 2
    assert "holds no .jsonl file" in refused.stderr
