# pjoin: unsorted left.tsv (10M rows at scale 1) joined with right.tsv (2M
# rows) vs the sort+join pipeline it replaces, xsv join and DuckDB.
compare "join -t TAB left.tsv right.tsv (unsorted)" \
  "$BIN/pjoin -t\$'\\t' $DATA/left.tsv $DATA/right.tsv" \
  "sort+join" "join -t\$'\\t' <(sort -t\$'\\t' -s -k1,1 $DATA/left.tsv) <(sort -t\$'\\t' -s -k1,1 $DATA/right.tsv)" \
  "xsv join" "xsv join --no-headers -d '\\t' 1 $DATA/left.tsv 1 $DATA/right.tsv" \
  "duckdb" "python3 -c \"import duckdb; duckdb.sql(\\\"COPY (SELECT l.column0, l.column1, r.column1 FROM read_csv('$DATA/left.tsv', delim='\\\\t', header=false, columns={'column0':'VARCHAR','column1':'VARCHAR'}) l JOIN read_csv('$DATA/right.tsv', delim='\\\\t', header=false, columns={'column0':'VARCHAR','column1':'VARCHAR'}) r ON l.column0 = r.column0) TO '/dev/stdout' (HEADER false, DELIMITER '\\\\t')\\\")\""
compare "pjoin -S 100M (spilling)" "$BIN/pjoin -S 100M -t\$'\\t' $DATA/left.tsv $DATA/right.tsv" \
  "sort+join" "join -t\$'\\t' <(sort -S 100M -t\$'\\t' -s -k1,1 $DATA/left.tsv) <(sort -S 100M -t\$'\\t' -s -k1,1 $DATA/right.tsv)"
