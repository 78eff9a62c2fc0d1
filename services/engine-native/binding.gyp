{
  "targets": [
    {
      "target_name": "visionops_onednn",
      "sources": ["src/onednn-addon.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
