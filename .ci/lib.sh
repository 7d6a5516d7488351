# Functions for .ci/run: timed stages, Debian packages, the servers the tests use, and the
# MariaDB login for the tests. Sourced, never run; tests/deploy/test_ci_lib.py drives each
# function on its own (a Redis on a spare port, fake apt tools, a throwaway login).

# Everything the tests need from Debian, by what needs it.
CI_PACKAGES=(
  make git
  # the servers the tests use (127.0.0.1: 3306, 6379, 5672)
  mariadb-server mariadb-client redis-server rabbitmq-server
  # a Python to build the virtualenv with; mysqlclient (the mysql extra) compiles
  python3 python3-venv python3-dev build-essential pkg-config default-libmysqlclient-dev
  # parsing: OCR of scanned PDFs, PDF tools, file types
  tesseract-ocr tesseract-ocr-deu tesseract-ocr-eng poppler-utils libmagic1
  # the browser tests (Debian's chromium; playwright downloads no browser)
  chromium fonts-dejavu-core
  # the deployment tests (compose files, the TLS proxy) and the translation catalogue test
  docker-compose nginx openssl gettext
  # the MediaWiki source's tests: a real MediaWiki on PHP's built-in server with SQLite
  mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml
)

# --- stages and their timings ------------------------------------------------------------

CI_STAGE_NAMES=()
CI_STAGE_SECONDS=()
CI_STAGE=""
CI_STAGE_STARTED=""

ci_now() { date +%s.%N; }

# begin NAME: ends the stage before (noting its time) and starts the next.
begin() {
  end_stage
  CI_STAGE=$1
  CI_STAGE_STARTED=$(ci_now)
  echo "== $1"
}

end_stage() {
  [ -n "$CI_STAGE" ] || return 0
  CI_STAGE_NAMES+=("$CI_STAGE")
  CI_STAGE_SECONDS+=("$(awk -v a="$CI_STAGE_STARTED" -v b="$(ci_now)" 'BEGIN { printf "%.1f", b - a }')")
  CI_STAGE=""
}

# print_timings [STATUS]: the table of stages; the last one is marked when the run failed.
print_timings() {
  local status=${1:-0} failed=$CI_STAGE i total=0
  end_stage
  echo "== timings"
  for i in "${!CI_STAGE_NAMES[@]}"; do
    local mark=""
    if [ "$status" -ne 0 ] && [ "${CI_STAGE_NAMES[$i]}" = "$failed" ]; then mark="  (failed)"; fi
    printf "%-20s %8ss%s\n" "${CI_STAGE_NAMES[$i]}" "${CI_STAGE_SECONDS[$i]}" "$mark"
    total=$(awk -v a="$total" -v b="${CI_STAGE_SECONDS[$i]}" 'BEGIN { print a + b }')
  done
  printf "%-20s %8.1fs\n" "total" "$total"
}

# --- packages --------------------------------------------------------------------------

# missing_packages PACKAGE...: those not installed, one a line.
missing_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q "install ok installed" \
      || echo "$package"
  done
}

# install_missing PACKAGE...: apt-get only for what is missing (nothing to do: no apt at all).
install_missing() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "all $# packages are installed"
    return 0
  fi
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
}

# --- servers ---------------------------------------------------------------------------

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ensure_running NAME PORT START-COMMAND...: starts the server unless its port answers, then
# waits up to CI_SERVER_WAIT_S seconds (default 120) for it.
ensure_running() {
  local name=$1 port=$2 waited=0
  shift 2
  if answers "$port"; then
    echo "$name answers on port $port"
    return 0
  fi
  echo "$name does not answer on port $port: starting it"
  "$@"
  until answers "$port"; do
    if [ "$waited" -ge "${CI_SERVER_WAIT_S:-120}" ]; then
      echo "$name still does not answer on port $port after ${waited}s"
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "$name answers on port $port after ${waited}s"
}

start_mariadb() {
  install -d -o mysql -g mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
}

# start_redis PORT DIR: keeps nothing on disk; DIR holds its log.
start_redis() {
  mkdir -p "$2"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$1" --save "" --appendonly no \
    --dir "$2" --logfile "$2/redis-$1.log" --pidfile "$2/redis-$1.pid"
}

start_rabbitmq() {
  rabbitmq-server -detached
}

# --- the tests' MariaDB login ----------------------------------------------------------

# create_test_login [USER]: a login for the tests, made as MariaDB's root through the unix
# socket (how Debian's root logs in), allowed only the tests' own databases; exports
# LOTSE_TEST_MARIADB_URL. Running it again only resets the password.
create_test_login() {
  local user=${1:-lotse_ci} password
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  mariadb --protocol=socket -u root <<SQL
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE DATABASE IF NOT EXISTS \`${user}\` CHARACTER SET utf8mb4;
GRANT ALL PRIVILEGES ON \`${user}\`.* TO '$user'@'localhost', '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test\\_lotse\\_%\`.* TO '$user'@'localhost', '$user'@'127.0.0.1';
SQL
  export LOTSE_TEST_MARIADB_URL="mysql://$user:$password@127.0.0.1:3306/$user"
  echo "MariaDB login $user for the tests (databases $user and test_lotse_*)"
}
