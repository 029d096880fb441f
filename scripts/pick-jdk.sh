# Sourced by ./warden and .ci/run: picks a JDK 21 or newer and exports JAVA_HOME. Order: JAVA_HOME
# if it is one, else the default java if it is one, else the newest JDK under /usr/lib/jvm.

java_major() { # prints the major version of the java binary $1, or 0
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}' | cut -d. -f1 || echo 0
}

pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 21 ]; then
    return
  fi
  if command -v java >/dev/null && [ "$(java_major "$(command -v java)")" -ge 21 ]; then
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    export JAVA_HOME
    return
  fi
  best="" best_major=0
  for home in /usr/lib/jvm/*/; do
    home="${home%/}"
    [ -x "$home/bin/javac" ] || continue
    major="$(java_major "$home/bin/java")"
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$home" best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "warden: no JDK 21 or newer found (JAVA_HOME, PATH, /usr/lib/jvm)" >&2
    exit 1
  fi
  export JAVA_HOME="$best"
}

pick_jdk
export PATH="$JAVA_HOME/bin:$PATH"
