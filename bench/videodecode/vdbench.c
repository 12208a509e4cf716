// Decode CPU per frame: libavcodec vs libvpx vs openh264, single thread.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libavcodec/avcodec.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>
#include <wels/codec_api.h>
static double cpu(void){struct timespec t;clock_gettime(CLOCK_PROCESS_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static unsigned char*buf;static long n;
static void load(const char*p){FILE*f=fopen(p,"rb");fseek(f,0,SEEK_END);n=ftell(f);fseek(f,0,SEEK_SET);buf=malloc(n+64);fread(buf,1,n,f);memset(buf+n,0,64);fclose(f);}
typedef struct{unsigned char*p;int len;}fr;
static fr frames[4096];static int nf;
static void ivf(void){long o=32;nf=0;while(o+12<=n){int l=buf[o]|buf[o+1]<<8|buf[o+2]<<16|buf[o+3]<<24;o+=12;frames[nf].p=buf+o;frames[nf].len=l;nf++;o+=l;}}
static void nals(void){nf=0;long i=0;long start=-1;while(i+3<n){if(buf[i]==0&&buf[i+1]==0&&buf[i+2]==1){if(start>=0){long e=i;if(e>0&&buf[e-1]==0)e--;frames[nf].p=buf+start;frames[nf].len=e-start;nf++;}start=(i>0&&buf[i-1]==0)?i-1:i;i+=3;}else i++;}frames[nf].p=buf+start;frames[nf].len=n-start;nf++;}
int main(int c,char**v){const char*lib=v[1],*codec=v[2];load(v[3]);int reps=3;double t0,t1;int out=0;
if(!strcmp(lib,"lavc")){const AVCodec*cd=avcodec_find_decoder_by_name(codec);AVPacket*pk=av_packet_alloc();AVFrame*f=av_frame_alloc();
 if(!strcmp(codec,"h264"))nals();else ivf();
 t0=cpu();for(int r=0;r<reps;r++){AVCodecContext*ctx=avcodec_alloc_context3(cd);ctx->thread_count=1;avcodec_open2(ctx,cd,NULL);
  if(!strcmp(codec,"h264")){AVCodecParserContext*ps=av_parser_init(cd->id);for(int i=0;i<=nf;i++){unsigned char*d=i<nf?frames[i].p:NULL;int l=i<nf?frames[i].len:0;
     do{uint8_t*o;int ol;int u=av_parser_parse2(ps,ctx,&o,&ol,d,l,0,0,0);d+=u;l-=u;if(ol){pk->data=o;pk->size=ol;avcodec_send_packet(ctx,pk);while(avcodec_receive_frame(ctx,f)==0)out++;}}while(l>0);}
     av_parser_close(ps);}
  else for(int i=0;i<nf;i++){pk->data=frames[i].p;pk->size=frames[i].len;avcodec_send_packet(ctx,pk);while(avcodec_receive_frame(ctx,f)==0)out++;}
  avcodec_send_packet(ctx,NULL);while(avcodec_receive_frame(ctx,f)==0)out++;avcodec_free_context(&ctx);}t1=cpu();}
else if(!strcmp(lib,"vpx")){ivf();t0=cpu();for(int r=0;r<reps;r++){vpx_codec_ctx_t d;vpx_codec_dec_cfg_t cfg={.threads=1};
  vpx_codec_dec_init(&d,!strcmp(codec,"vp8")?vpx_codec_vp8_dx():vpx_codec_vp9_dx(),&cfg,0);
  for(int i=0;i<nf;i++){vpx_codec_decode(&d,frames[i].p,frames[i].len,NULL,0);vpx_codec_iter_t it=NULL;while(vpx_codec_get_frame(&d,&it))out++;}vpx_codec_destroy(&d);}t1=cpu();}
else {nals();t0=cpu();for(int r=0;r<reps;r++){ISVCDecoder*d;WelsCreateDecoder(&d);SDecodingParam p;memset(&p,0,sizeof p);p.sVideoProperty.eVideoBsType=VIDEO_BITSTREAM_DEFAULT;(*d)->Initialize(d,&p);
  for(int i=0;i<nf;i++){unsigned char*dst[3];SBufferInfo bi;memset(&bi,0,sizeof bi);(*d)->DecodeFrameNoDelay(d,frames[i].p,frames[i].len,dst,&bi);if(bi.iBufferStatus==1)out++;}
  (*d)->Uninitialize(d);WelsDestroyDecoder(d);}t1=cpu();}
printf("%s %s %s: %d frames, %.3f ms CPU/frame\n",lib,codec,v[3],out,(t1-t0)*1000/out);return 0;}
