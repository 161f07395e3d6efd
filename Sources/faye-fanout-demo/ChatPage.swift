/// The page at `/`: the chat's messages through an EventSource (resuming after the last id it
/// saw when its instance goes away), and a form that posts to `/messages`.
enum ChatPage {
    /// The whole page: HTML with its script.
    static let html = """
        <!doctype html>
        <html lang="en">
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>faye-fanout-demo</title>
        <style>
          body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 48em; padding: 0 1em; }
          pre { font: 13px ui-monospace, monospace; background: #f6f6f6; padding: .5em; height: 20em;
                overflow-y: auto; white-space: pre-wrap; }
        </style>
        <h1>faye-fanout-demo</h1>
        <p>Messages posted on any instance, in one order: state <b id="state">connecting</b>,
           last id <b id="last">none</b>.</p>
        <form id="form"><input id="text" size="50" autofocus> <button>Post</button></form>
        <pre id="log"></pre>
        <script>
        "use strict";
        const $ = (id) => document.getElementById(id);
        const source = new EventSource("/events");
        source.onopen = () => { $("state").textContent = "open"; };
        source.onerror = () => { $("state").textContent = "reconnecting"; };
        source.onmessage = (event) => {
          const message = JSON.parse(event.data);
          $("last").textContent = message.id;
          $("log").textContent += message.id + "  " + message.text + "\\n";
          $("log").scrollTop = $("log").scrollHeight;
        };
        $("form").onsubmit = async (event) => {
          event.preventDefault();
          const text = $("text").value;
          if (!text) return;
          const response = await fetch("/messages", { method: "POST", body: text });
          if (response.ok) $("text").value = "";
        };
        </script>
        """
}
