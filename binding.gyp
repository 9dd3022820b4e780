{
  "targets": [
    {
      "target_name": "lvsha_net",
      "sources": ["src/native/lvsha_net.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
