"""The S3 storage configuration, shared by settings and the tests that run
against a real S3 protocol server, so both use exactly the same options."""

from botocore.config import Config


def s3_storage_settings(
    *,
    bucket: str,
    access_key: str | None,
    secret_key: str | None,
    region: str | None,
    endpoint_url: str | None,
    location: str = "",
    querystring_expire: int = 300,
    addressing_style: str = "auto",
    connect_timeout: float = 3,
    read_timeout: float = 5,
    max_attempts: int = 1,
) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "access_key": access_key,
            "secret_key": secret_key,
            "region_name": region,
            "endpoint_url": endpoint_url,
            "location": location,
            # A private bucket and signed, expiring URLs: photos of private
            # galleries must never have guessable public addresses.
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": querystring_expire,
            "file_overwrite": False,
            "client_config": Config(
                # "path" suits S3-compatible stores without virtual-host buckets (MinIO).
                s3={"addressing_style": addressing_style},
                signature_version="s3v4",
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                # total_max_attempts counts the first try; botocore's max_attempts
                # would count the retries only (3 made 4 tries of 30 s each).
                retries={"mode": "standard", "total_max_attempts": max_attempts},
            ),
        },
    }
