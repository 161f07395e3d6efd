#!/usr/bin/env python3
"""Regenerates the DocC tutorial articles from the guides in Docs/Guides (the guides are the
source; the articles are the same text with links to repository files made plain text).
Run after editing a guide: python3 scripts/docc-articles.py"""
import os
import re

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
articles={
 'Driver-In-Your-Own-IO':'WebSocketDriver/WebSocketDriver.docc/DrivingYourOwnSocket.md',
 'Writing-an-Extension':'WebSocketExtensions/WebSocketExtensions.docc/WritingAnExtension.md',
 'Choosing-Deflate-Settings':'PermessageDeflate/PermessageDeflate.docc/ChoosingSettings.md',
 'Own-NIO-Pipeline':'FayeWebSocket/FayeWebSocket.docc/ServingFromYourPipeline.md',
 'Client-TLS-Proxy':'FayeWebSocket/FayeWebSocket.docc/ConnectingSecurely.md',
 'Embedded-Server':'FayeEventSource/FayeEventSource.docc/ServingWebSocketsAndEvents.md',
 'EventSource-Client':'FayeEventSource/FayeEventSource.docc/StreamingFromAnLLMEndpoint.md',
}
for name,target in articles.items():
    src=open(f'{root}/Docs/Guides/{name}.md').read()
    lines=src.split('\n')
    title=lines[0].replace('# Guide: ','# ')
    title='# '+title[2].upper()+title[3:]
    body='\n'.join(lines[1:])
    body=re.sub(r'\[([^\]]+)\]\(([^)]+\.md)(#[^)]*)?\)', lambda m: m.group(1) if '.md' in m.group(1) else m.group(1)+' (`Docs/'+('Guides/' if '/' not in m.group(2) and not m.group(2).startswith('..') else '')+m.group(2).replace('../','')+'`)', body)
    note=f"\n\nThis article is `Docs/Guides/{name}.md` in the repository; a test checks that its code is the code the test suite compiles and runs."
    # insert the note after the first paragraph
    parts=body.split('\n\n',1)
    body=parts[0]+note+'\n\n'+parts[1]
    open(f'{root}/Sources/{target}','w').write(title+'\n'+body)
print('articles ok')
