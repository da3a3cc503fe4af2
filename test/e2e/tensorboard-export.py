# Reads a TensorBoard log directory with TensorBoard's own EventAccumulator and prints, one JSON
# line each, every scalar point (float32/float64 bit patterns as hex, so NaN and -0 survive),
# the HParams session infos and the text summaries. Used by tensorboard-export.test.ts.
import json, os, struct, sys
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

root = sys.argv[1]
for dirpath, _dirs, files in sorted(os.walk(root)):
    if not any(".tfevents." in f for f in files):
        continue
    run = os.path.relpath(dirpath, root)
    acc = ea.EventAccumulator(dirpath, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    for tag in acc.Tags()["scalars"]:
        for e in acc.Scalars(tag):
            print(json.dumps({"run": run, "tag": tag, "step": e.step,
                              "wall": struct.pack("<d", e.wall_time).hex(), "value": struct.pack("<f", e.value).hex()}))
    def plugin(name):
        try:
            return acc.PluginTagToContent(name)
        except KeyError:  # no summary of that plugin in this run
            return {}
    for tag, content in plugin("hparams").items():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        if data.HasField("session_start_info"):
            hp = {}
            for k, v in data.session_start_info.hparams.items():
                kind = v.WhichOneof("kind")
                hp[k] = [kind, getattr(v, kind)]
            print(json.dumps({"run": run, "hparams": hp, "group": data.session_start_info.group_name}))
        if data.HasField("session_end_info"):
            print(json.dumps({"run": run, "status": data.session_end_info.status}))
    for tag in plugin("text"):
        t = tensor_util.make_ndarray(acc.Tensors(tag)[0].tensor_proto)
        print(json.dumps({"run": run, "text": tag, "value": t.item().decode("utf-8")}))
