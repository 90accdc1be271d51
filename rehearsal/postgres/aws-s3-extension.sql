-- A stand-in for Aurora PostgreSQL's aws_commons and aws_s3 extensions, for tests and rehearsals.
-- Same function signatures and return values; "S3" is a local folder readable by the server:
--   <root>/<bucket>/<key>, root = the setting aws_s3_standin.root (ALTER DATABASE ... SET ...).
-- Differences from Aurora (on purpose, documented in rehearsal/postgres/aws-s3-extension.ts):
--   * gzip is recognised by a ".gz" key suffix (Aurora reads the object's Content-Encoding);
--   * the region, credentials and kms_key are accepted and ignored (no IAM);
--   * no "_partN" splitting of exports over ~6 GB; export options are wrapped in ( ) as Aurora
--     does ('format csv' -> COPY ... TO ... (format csv));
--   * the table name is parsed with parse_ident() and each column with parse_ident(), so a name
--     with SQL in it is refused instead of being spliced into COPY.
-- The loader installs the part before "@@ aws_s3" as extension aws_commons and the rest as aws_s3,
-- so that CREATE EXTENSION IF NOT EXISTS aws_s3 CASCADE works as on Aurora.

-- @@ aws_commons
CREATE TYPE aws_commons._s3_uri_1 AS (bucket text, file_path text, region text);
CREATE TYPE aws_commons._aws_credentials_1 AS (access_key text, secret_key text, session_token text);

CREATE FUNCTION aws_commons.create_s3_uri(s3_bucket text, s3_key text, aws_region text)
RETURNS aws_commons._s3_uri_1 LANGUAGE sql IMMUTABLE
AS $$ SELECT ROW(s3_bucket, s3_key, aws_region)::aws_commons._s3_uri_1 $$;

CREATE FUNCTION aws_commons.create_aws_credentials(access_key text, secret_key text, session_token text)
RETURNS aws_commons._aws_credentials_1 LANGUAGE sql IMMUTABLE
AS $$ SELECT ROW(access_key, secret_key, session_token)::aws_commons._aws_credentials_1 $$;

-- @@ aws_s3
-- Absolute path of an object, refusing keys that would leave the bucket folder.
CREATE FUNCTION aws_s3._standin_path(s3_info aws_commons._s3_uri_1) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  root text := current_setting('aws_s3_standin.root', true);
BEGIN
  IF root IS NULL OR root = '' THEN
    RAISE EXCEPTION 'aws_s3 stand-in: the setting aws_s3_standin.root is not set'
      USING HINT = 'ALTER DATABASE <db> SET aws_s3_standin.root = ''/path/to/s3-folder''';
  END IF;
  IF s3_info.bucket IS NULL OR s3_info.bucket !~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' THEN
    RAISE EXCEPTION 'invalid S3 bucket name %', coalesce(quote_literal(s3_info.bucket), 'NULL');
  END IF;
  IF s3_info.file_path IS NULL OR s3_info.file_path = '' OR left(s3_info.file_path, 1) = '/'
     OR s3_info.file_path ~ '(^|/)\.\.(/|$)' THEN
    RAISE EXCEPTION 'invalid S3 key %', coalesce(quote_literal(s3_info.file_path), 'NULL');
  END IF;
  RETURN root || '/' || s3_info.bucket || '/' || s3_info.file_path;
END $$;

-- 'schema.table' / 'table' / '"Quoted"' -> a safely quoted relation name, or an error.
CREATE FUNCTION aws_s3._standin_relation(table_name text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  parts text[];
BEGIN
  parts := parse_ident(table_name);
  IF array_length(parts, 1) = 1 THEN RETURN format('%I', parts[1]); END IF;
  IF array_length(parts, 1) = 2 THEN RETURN format('%I.%I', parts[1], parts[2]); END IF;
  RAISE EXCEPTION 'invalid table name %', quote_literal(table_name);
END $$;

-- 'a, b, "C"' -> '(a, b, "C")' with each column parsed and re-quoted; '' -> ''.
CREATE FUNCTION aws_s3._standin_columns(column_list text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
  col text;
  parts text[];
  quoted text[] := '{}';
BEGIN
  IF column_list IS NULL OR btrim(column_list) = '' THEN RETURN ''; END IF;
  FOREACH col IN ARRAY regexp_split_to_array(column_list, ',') LOOP
    parts := parse_ident(btrim(col));
    IF array_length(parts, 1) <> 1 THEN
      RAISE EXCEPTION 'invalid column name %', quote_literal(btrim(col));
    END IF;
    quoted := quoted || format('%I', parts[1]);
  END LOOP;
  RETURN '(' || array_to_string(quoted, ', ') || ')';
END $$;

CREATE FUNCTION aws_s3._standin_shell_quote(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT '''' || replace(s, '''', '''\''''') || '''' $$;

-- SECURITY DEFINER: like Aurora's function, it reads "S3" with its own rights (here the installing
-- superuser's file access), not the caller's; the caller must still be allowed to INSERT into the
-- table, as on Aurora (so an RDS-like master user without file access can import, as on Aurora).
CREATE FUNCTION aws_s3.table_import_from_s3(
  table_name text, column_list text, options text, s3_info aws_commons._s3_uri_1)
RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER AS $$
DECLARE
  path text := aws_s3._standin_path(s3_info);
  target text := aws_s3._standin_relation(table_name);
  cols text := aws_s3._standin_columns(column_list);
  stat record;
  sql text;
  n bigint;
BEGIN
  IF NOT has_table_privilege(session_user, target, 'INSERT') THEN
    RAISE EXCEPTION 'permission denied for table %', table_name USING ERRCODE = '42501';
  END IF;
  stat := pg_stat_file(path, true);
  IF stat.size IS NULL OR stat.isdir THEN
    RAISE EXCEPTION 'HEAD object failed: the file % does not exist in bucket %', s3_info.file_path, s3_info.bucket
      USING HINT = 'Make sure your file exists in S3 (aws_s3 stand-in root ' || current_setting('aws_s3_standin.root', true) || ')';
  END IF;
  IF right(s3_info.file_path, 3) = '.gz' THEN
    sql := format('COPY %s %s FROM PROGRAM %L %s', target, cols,
                  'gzip -dc ' || aws_s3._standin_shell_quote(path), coalesce(options, ''));
  ELSE
    sql := format('COPY %s %s FROM %L %s', target, cols, path, coalesce(options, ''));
  END IF;
  EXECUTE sql;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN format('%s rows imported into relation "%s" from file %s of %s bytes', n, table_name, s3_info.file_path, stat.size);
END $$;

CREATE FUNCTION aws_s3.table_import_from_s3(
  table_name text, column_list text, options text, s3_info aws_commons._s3_uri_1,
  credentials aws_commons._aws_credentials_1)
RETURNS text LANGUAGE sql VOLATILE
AS $$ SELECT aws_s3.table_import_from_s3(table_name, column_list, options, s3_info) $$;

CREATE FUNCTION aws_s3.table_import_from_s3(
  table_name text, column_list text, options text, bucket text, file_path text, region text,
  access_key text DEFAULT NULL, secret_key text DEFAULT NULL, session_token text DEFAULT NULL)
RETURNS text LANGUAGE sql VOLATILE
AS $$ SELECT aws_s3.table_import_from_s3(table_name, column_list, options,
                                         aws_commons.create_s3_uri(bucket, file_path, region)) $$;

CREATE FUNCTION aws_s3.query_export_to_s3(
  query text, s3_info aws_commons._s3_uri_1, options text DEFAULT NULL, kms_key text DEFAULT NULL,
  OUT rows_uploaded bigint, OUT files_uploaded bigint, OUT bytes_uploaded bigint)
RETURNS record LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  path text := aws_s3._standin_path(s3_info);
  dir text := regexp_replace(path, '/[^/]*$', '');
BEGIN
  EXECUTE format('COPY (%s) TO PROGRAM %L %s', query,
                 'mkdir -p ' || aws_s3._standin_shell_quote(dir) || ' && cat > ' || aws_s3._standin_shell_quote(path),
                 CASE WHEN coalesce(btrim(options), '') = '' THEN ''
                      WHEN left(btrim(options), 1) = '(' THEN options
                      ELSE '(' || options || ')' END);
  GET DIAGNOSTICS rows_uploaded = ROW_COUNT;
  files_uploaded := 1;
  bytes_uploaded := (pg_stat_file(path)).size;
END $$;

CREATE FUNCTION aws_s3.query_export_to_s3(
  query text, s3_info aws_commons._s3_uri_1, credentials aws_commons._aws_credentials_1,
  options text DEFAULT NULL, kms_key text DEFAULT NULL,
  OUT rows_uploaded bigint, OUT files_uploaded bigint, OUT bytes_uploaded bigint)
RETURNS record LANGUAGE sql VOLATILE
AS $$ SELECT * FROM aws_s3.query_export_to_s3(query, s3_info, options, kms_key) $$;
